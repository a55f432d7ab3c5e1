"""The statements of order entry, compiled once per process and database; each call binds its values.

Compiling a queryset cost more than running it, on the path every order takes. The reservation
UPDATE is the one `_reserve_query` builds, compiled by Django with sentinel values whose places
each call fills; the INSERT is the one `Model.save()` would run, values prepared as the ORM prepares
them (auto_now fields included). Anything not of the expected shape goes through the ORM as written.
"""

from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.db.models.sql import InsertQuery, UpdateQuery

from orders.models import Account, Order, Position

# Sentinels the reservation statements are compiled with: each call binds its own values in their places.
_ACCOUNT, _INSTRUMENT, _AMOUNT = -917_301, -917_302, Decimal("-917303.01")
_reserve_statements: dict[tuple, tuple[str, list] | None] = {}
_insert_statements: dict[tuple, str | None] = {}
_entry_statements: dict[tuple, str] = {}


def _reserve_query(side: str, *, account, instrument, amount):
    if side == Order.Side.BUY:
        rows = Account.objects.filter(pk=account, frozen=False, cash__gte=F("reserved_cash") + amount)
        return rows, {"reserved_cash": F("reserved_cash") + amount}
    rows = Position.objects.filter(account_id=account, instrument_id=instrument, qty__gte=F("reserved_qty") + amount,
                                   account__frozen=False)
    return rows, {"reserved_qty": F("reserved_qty") + amount}


def _reserve_statement(side: str) -> tuple[str, list] | None:
    """(sql, slots): each slot names the value to bind ("amount", "account", "instrument") or holds a constant."""
    key = (connection.alias, connection.vendor, side)
    if key not in _reserve_statements:
        rows, values = _reserve_query(side, account=_ACCOUNT, instrument=_INSTRUMENT, amount=_AMOUNT)
        query = rows.query.chain(UpdateQuery)
        query.add_update_values(values)
        sql, params = query.get_compiler(connection=connection).as_sql()
        slots = [("amount" if isinstance(p, Decimal) and p == _AMOUNT else "account" if p == _ACCOUNT and
                  not isinstance(p, bool) else "instrument" if p == _INSTRUMENT and not isinstance(p, bool) else (p,))
                 for p in params]
        wanted = {"amount": 2, "account": 1, "instrument": 0 if side == Order.Side.BUY else 1}
        found = all(slots.count(name) == n for name, n in wanted.items())
        _reserve_statements[key] = (sql, slots) if found else None
    return _reserve_statements[key]


def _bind(slots: list, *, account: int, instrument: int | None, amount: Decimal) -> list:
    bound = {"amount": amount, "account": account, "instrument": instrument}
    return [bound[slot] if isinstance(slot, str) else slot[0] for slot in slots]


def reserve_run(*, side: str, account: int, instrument: int | None, amount: Decimal) -> int:
    """The reservation UPDATE (cash for a buy, quantity of `instrument` for a sell); returns the rows it
    changed: 1 if reserved, 0 if the account is frozen or cannot cover `amount`."""
    statement = _reserve_statement(side)
    if statement is None:
        rows, values = _reserve_query(side, account=account, instrument=instrument, amount=amount)
        return rows.update(**values)
    sql, slots = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, _bind(slots, account=account, instrument=instrument, amount=amount))
        return cursor.rowcount


def _insert_fields() -> list:
    meta = Order._meta
    return [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]


def _insert_params(order: Order, fields) -> list:
    return [f.get_db_prep_save(f.pre_save(order, True), connection) for f in fields]


def _saved(order: Order, pk: int) -> None:
    order.pk = pk
    order._state.adding, order._state.db = False, connection.alias


def order_insert(order: Order) -> None:
    """`order.save()` for a new order. Sends no model signals; no receiver listens for Order."""
    meta = Order._meta
    key = (connection.alias, connection.vendor)
    if order.pk is not None or _insert_statements.get(key, "") is None:
        order.save()
        return
    fields = _insert_fields()
    params = _insert_params(order, fields)  # runs pre_save (auto_now) once
    if key not in _insert_statements:
        statement = None
        if connection.features.can_return_columns_from_insert and meta.db_returning_fields == [meta.pk]:
            query = InsertQuery(Order)
            query.insert_values(fields, [order], raw=True)  # raw: the values pre_save already set
            compiler = query.get_compiler(connection=connection)
            compiler.returning_fields = meta.db_returning_fields
            compiled = compiler.as_sql()
            if len(compiled) == 1 and list(compiled[0][1]) == params:
                statement = compiled[0][0]
        _insert_statements[key] = statement
        if statement is None:
            order.save()
            return
    with connection.cursor() as cursor:
        cursor.execute(_insert_statements[key], params)
        _saved(order, cursor.fetchone()[0])


def order_reserve_and_insert(order: Order) -> bool:
    """PostgreSQL: the reservation UPDATE and the INSERT of the new order as one statement; the INSERT
    selects from the UPDATE's RETURNING, so it inserts only if the reservation was made. Returns
    whether it was (and then `order.pk` is set)."""
    side = order.side
    reserve = _reserve_statement(side)
    if reserve is None or order.pk is not None:
        if not reserve_run(side=side, account=order.account_id, instrument=order.instrument_id,
                           amount=order.reserved_cash if side == Order.Side.BUY else order.qty):
            return False
        order_insert(order)
        return True
    sql, slots = reserve
    fields = _insert_fields()
    key = (connection.alias, side)
    if key not in _entry_statements:
        quote, table = connection.ops.quote_name, Order._meta.db_table
        columns = ", ".join(quote(f.column) for f in fields)
        # Each value cast to its column: a SELECT list does not take its types from the INSERT's columns.
        values = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)
        _entry_statements[key] = (f"WITH reserved AS ({sql} RETURNING 1) INSERT INTO {quote(table)} ({columns}) "
                                  f"SELECT {values} FROM reserved RETURNING {quote(Order._meta.pk.column)}")
    amount = order.reserved_cash if side == Order.Side.BUY else order.qty
    params = _bind(slots, account=order.account_id, instrument=order.instrument_id, amount=amount)
    with connection.cursor() as cursor:
        cursor.execute(_entry_statements[key], params + _insert_params(order, fields))
        row = cursor.fetchone()
    if row is None:
        return False
    _saved(order, row[0])
    return True
