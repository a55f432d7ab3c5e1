"""The engine batch's reads and writes of many rows, with SQL whose text does not depend on how many.

On PostgreSQL every statement takes one array per column (`= ANY(%s)`, `unnest(%s, ...)`), so its text
is the same for one row or five hundred: it is built once per process, and psycopg converts it once.
The ORM's alternatives compiled a query and prepared every value per batch, which cost the engine
more CPU than matching and settling together. The statements run on `prepared_cursor()`: the arrays
travel as parameters instead of being quoted into the text in Python, and PostgreSQL stops planning
them.
Values go to psycopg as they are: for the field types these tables use (Decimal, str, int, bool,
aware datetime, None) Django's own preparation on PostgreSQL returns them unchanged, and PostgreSQL
rounds a numeric into its column's scale as it would for the ORM.

Elsewhere (SQLite, the embedded default) reads and inserts go through the ORM, and updates run one
statement per row with the values prepared by the fields as the ORM prepares them.
"""

from contextlib import contextmanager
from functools import cache

from django.db import connection
from django.db.models import DateTimeField

from common.db.cursors import prepared_cursor


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _columns(model, names: tuple[str, ...]) -> tuple:
    return tuple(model._meta.get_field(name) for name in names)


def _array_type(field) -> str:
    return field.db_type(connection) + "[]"


def _is_time(field) -> bool:
    return isinstance(field, DateTimeField)


def _placeholder(field) -> str:
    """Times travel as binary arrays; everything else as one array literal (see `_literal`)."""
    return f"%b::{_array_type(field)}" if _is_time(field) else f"%s::{_array_type(field)}"


def _text(value) -> str:
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(field, values) -> str:
    """A PostgreSQL array literal of `values`, built by one join: psycopg's array dumper escaped every
    element in Python (with a regular expression each), a fifth of a batch's CPU. Numbers, ids and
    booleans are written as they print; text is always quoted."""
    if field.get_internal_type() in ("CharField", "TextField", "SlugField"):
        return "{" + ",".join("NULL" if v is None else _text(v) for v in values) + "}"
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def _array(field, values):
    return list(values) if _is_time(field) else _literal(field, values)


def _prepared(fields, values) -> list:
    return [f.get_db_prep_save(v, connection) for f, v in zip(fields, values)]


@contextmanager
def pipeline():
    """On PostgreSQL, the statements inside are sent without waiting for each one's answer: the
    server runs them in order and answers them together when a result is read (a fetch) or when the
    block ends. A batch's writes need none of each other's answers, so they cost one round trip
    instead of one each, which under load (every round trip waits to be scheduled twice) was most of
    a small batch's time. Statements whose answers are read inside (`select_rows`, `insert_rows`
    with `returning`) end the round trip there. Only this module's statements may run inside: the
    ORM reads a row count as soon as it executes, before the pipeline has it."""
    if not _postgres():
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


# --- reads -------------------------------------------------------------------------
@cache
def _select_sql(model, alias: str, where: tuple[str, ...], order_by: tuple[str, ...], lock: str) -> str:
    meta = model._meta
    columns = ", ".join(_q(f.column) for f in meta.concrete_fields)
    conditions = " AND ".join(f"{_q(f.column)} = ANY({_placeholder(f)})" for f in _columns(model, where))
    order = f" ORDER BY {', '.join(_q(f.column) for f in _columns(model, order_by))}" if order_by else ""
    return f"SELECT {columns} FROM {_q(meta.db_table)} WHERE {conditions}{order}{lock}"


LOCKS = {"": "", "update": " FOR UPDATE", "no_key": " FOR NO KEY UPDATE"}


def select_rows(model, *, lock: str = "", order_by: tuple[str, ...] = (), **where: list) -> list:
    """Instances of `model` whose fields each equal one of the given values (`id=[1, 2]`,
    `instrument_id=[3], account_id=[4, 5]`), locked FOR UPDATE (`lock="update"`) or FOR NO KEY UPDATE
    (`lock="no_key"`) in `order_by` order. SQLite has no row locks: its transaction holds the database."""
    if not _postgres():
        rows = model.objects.filter(**{f"{name}__in": list(values) for name, values in where.items()})
        return list(rows.order_by(*order_by) if order_by else rows)
    sql = _select_sql(model, connection.alias, tuple(where), order_by, LOCKS[lock])
    names = [f.attname for f in model._meta.concrete_fields]
    fields = _columns(model, tuple(where))
    with prepared_cursor() as cursor:
        # Binary results: times and numerics are read without parsing their text.
        cursor.execute(sql, [_array(f, values) for f, values in zip(fields, where.values())], binary=True)
        return [model.from_db(connection.alias, names, row) for row in cursor.fetchall()]


# --- writes ------------------------------------------------------------------------
@cache
def _update_sql(model, alias: str, postgres: bool, set_names: tuple, add_names: tuple, returning: tuple = ()) -> str:
    meta = model._meta
    table, pk = _q(meta.db_table), meta.pk
    names = set_names + add_names
    fields = _columns(model, names)
    if postgres:
        assignments = [f"{_q(f.column)} = v.{_q(f.column)}" for f in fields[:len(set_names)]]
        assignments += [f"{_q(f.column)} = t.{_q(f.column)} + v.{_q(f.column)}" for f in fields[len(set_names):]]
        arrays = ", ".join(_placeholder(f) for f in (pk, *fields))
        aliases = ", ".join(_q(f.column) for f in (pk, *fields))
        tail = f" RETURNING {', '.join('t.' + _q(f.column) for f in _columns(model, returning))}" if returning else ""
        return (f"UPDATE {table} AS t SET {', '.join(assignments)} FROM unnest({arrays}) AS v({aliases}) "
                f"WHERE t.{_q(pk.column)} = v.{_q(pk.column)}{tail}")
    assignments = [f"{_q(f.column)} = %s" for f in fields[:len(set_names)]]
    assignments += [f"{_q(f.column)} = {_q(f.column)} + %s" for f in fields[len(set_names):]]
    return f"UPDATE {table} SET {', '.join(assignments)} WHERE {_q(pk.column)} = %s"


def update_rows(model, pks: list[int], *, set: dict[str, list] | None = None, add: dict[str, list] | None = None,
                returning: tuple[str, ...] = (), cursor=None) -> list[tuple]:
    """For each i: row pks[i] gets field = set[field][i], and field = field + add[field][i]. One statement
    (on PostgreSQL). Returns the `returning` fields of each updated row as updated (in no promised
    order: include the pk to match them). With `cursor` (a `prepared_cursor()`, PostgreSQL only) the
    statement is only sent: the caller fetches its rows from that cursor, so that inside a `pipeline`
    another statement's answer can come back in the same round trip."""
    if not pks:
        return []
    if cursor is not None:
        set, add = set or {}, add or {}
        sql = _update_sql(model, connection.alias, True, tuple(set), tuple(add), returning)
        columns = [*set.values(), *add.values()]
        cursor.execute(sql, [_array(model._meta.pk, pks),
                             *[_array(f, c) for f, c in zip(_columns(model, (*set, *add)), columns)]])
        return []
    set, add = set or {}, add or {}
    names = (*set, *add)
    columns = [*set.values(), *add.values()]
    sql = _update_sql(model, connection.alias, _postgres(), tuple(set), tuple(add), returning)
    if _postgres():
        pk = model._meta.pk
        with prepared_cursor() as cursor:
            cursor.execute(sql, [_array(pk, pks), *[_array(f, c) for f, c in zip(_columns(model, names), columns)]])
            return cursor.fetchall() if returning else []
    fields = _columns(model, names)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*_prepared(fields, row), pk] for pk, *row in zip(pks, *columns)])
    if not returning:
        return []
    return list(model.objects.filter(pk__in=list(pks)).values_list(*(f.attname for f in _columns(model, returning))))


@cache
def _insert_sql(model, alias: str, names: tuple, returning: tuple) -> str:
    meta = model._meta
    fields = _columns(model, names)
    columns = ", ".join(_q(f.column) for f in fields)
    arrays = ", ".join(_placeholder(f) for f in fields)
    tail = f" RETURNING {', '.join(_q(f.column) for f in _columns(model, returning))}" if returning else ""
    return f"INSERT INTO {_q(meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}){tail}"


def insert_rows(model, names: tuple[str, ...], rows: list[tuple], *, returning: tuple[str, ...] = ()) -> list[tuple]:
    """Insert `rows` (values of the fields `names`, in that order); returns the `returning` fields of each
    new row (in no promised order: match them by a unique field)."""
    if not rows:
        return []
    if not _postgres():
        objs = model.objects.bulk_create([model(**dict(zip(names, row))) for row in rows])
        return [tuple(getattr(obj, f.attname) for f in _columns(model, returning)) for obj in objs] if returning else []
    sql = _insert_sql(model, connection.alias, names, returning)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [_array(f, column) for f, column in zip(_columns(model, names), zip(*rows))])
        return cursor.fetchall() if returning else []
