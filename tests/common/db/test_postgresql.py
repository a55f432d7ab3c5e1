"""The PostgreSQL backend's liveness check: no round trip for a quiet idle connection, and a
connection the server closed is found unusable, so Django reconnects instead of failing a request."""

import time

import psycopg
import pytest
from django.db import connection, connections

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL backend")]


def test_the_backend_is_ours():
    assert type(connections["default"]).__module__ == "common.db.postgresql.base"


def test_a_quiet_idle_connection_is_usable_without_asking_the_server(monkeypatch):
    from django.db.backends.postgresql import base

    connection.ensure_connection()
    asked = []
    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", lambda self: asked.append(1) or True)
    assert connection.is_usable() is True
    assert asked == []


def test_a_connection_the_server_closed_is_unusable_and_django_reconnects():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
                         password=settings["PASSWORD"], dbname=settings["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert connection.is_usable() is False
    # What Django does at the start of a request with health checks on: close, then reconnect on use.
    connection.health_check_enabled, connection.health_check_done = True, False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
