"""`prepared_cursor()`: a cursor for statements with large parameters, such as the engine batch's
arrays (orders/worker/rows.py).

Django's psycopg cursors bind parameters on the client: each value is quoted into the SQL text in
Python, which for an array of a few hundred values cost the engine more than the statement. On
PostgreSQL this one binds on the server instead, and psycopg prepares a statement once the
connection has run it a few times. (For the web's small per-order statements neither showed in the
CPU of the web or of PostgreSQL, so they stay on Django's cursor.) It runs on Django's connection, so inside its transaction, and
raises Django's database exceptions. Elsewhere it is Django's own cursor.
"""

from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def prepared_cursor():
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor
