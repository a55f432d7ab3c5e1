"""Applies the engine's events to the system of record, inside the batch's transaction.

Orders are loaded locked and changed in memory; accounts and positions are changed by
deltas (F expressions) because the order services reserve on them concurrently.

Performance: the positions the events touch are read in one query per symbol and run of events
(`Batch.load_positions`) and locked only when the batch is written, and `flush` writes each table
with one statement executed for all of the batch's rows (`executemany`, pipelined by psycopg),
instead of one ORM query per row or Django's CASE-per-field `bulk_update`, whose SQL building cost
more than the engine itself.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import connection
from django.db.models import F, Q
from django.db.models.expressions import CombinedExpression, Value
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from marketdata.models import Instrument
from orders.engine import events as ev
from orders.models import Account, LedgerEntry, Order, Position, Trade
from orders.money import CENT, ZERO, fee_for
from orders.services.accounts import account_system
from orders.services.reservations import reserve_target

PRICE_PLACES = Decimal("0.00000001")


@dataclass
class OrderUpdate:
    """A private order update to publish once the batch commits."""

    order: Order
    event: str
    fill: dict | None = None


@dataclass
class Batch:
    """What one batch changes, written by `flush` in the batch's transaction."""

    orders: dict[int, Order]
    instruments: dict[str, Instrument]
    cash: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    reserved_cash: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    positions: dict[tuple[int, int], Position] = field(default_factory=dict)
    position_deltas: dict[tuple[int, int], list[Decimal]] = field(default_factory=dict)
    trades: list[tuple[Trade, list[tuple[int, str, Decimal]]]] = field(default_factory=list)
    updates: list[OrderUpdate] = field(default_factory=list)
    public_trades: list[Trade] = field(default_factory=list)
    dirty_orders: set[int] = field(default_factory=set)
    dirty_instruments: set[str] = field(default_factory=set)
    status_changed: set[str] = field(default_factory=set)
    house_id: int | None = None
    positions_read: dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]] = field(default_factory=dict)

    def house(self) -> int:
        """The fee account's id, looked up once (the core keeps it from batch to batch)."""
        if self.house_id is None:
            self.house_id = account_system(kind=Account.Kind.HOUSE).pk
        return self.house_id

    # --- positions -----------------------------------------------------------
    def position(self, account_id: int, instrument: Instrument) -> Position:
        key = (account_id, instrument.pk)
        if key not in self.positions:
            self._hold(Position.objects.get_or_create(account_id=account_id, instrument=instrument)[0])
        return self.positions[key]

    def load_positions(self, keys) -> None:
        """Load the positions `keys` ((account id, instrument id) pairs) not yet held, one query per
        instrument; `position` creates any that do not exist yet.

        Not locked yet: the order services change only `reserved_qty`, by deltas, and would
        otherwise wait on the engine for a whole batch. `flush` locks them and checks that qty,
        avg_price and realized_pl, which the batch computes from, are still as read; only ops
        granting a position meanwhile can change them, and then the batch fails and the worker
        redoes it from the database."""
        by_instrument: dict[int, set[int]] = defaultdict(set)
        for account_id, instrument_id in keys:
            if (account_id, instrument_id) not in self.positions:
                by_instrument[instrument_id].add(account_id)
        for instrument_id, account_ids in sorted(by_instrument.items()):
            for position in Position.objects.filter(instrument_id=instrument_id, account_id__in=account_ids):
                self._hold(position)

    def _hold(self, position: Position) -> None:
        key = (position.account_id, position.instrument_id)
        self.positions[key] = position
        self.position_deltas[key] = [ZERO, ZERO]
        self.positions_read[key] = (position.qty, position.avg_price, position.realized_pl)

    def move_position(self, account_id: int, instrument: Instrument, *, qty: Decimal = ZERO, reserved: Decimal = ZERO) -> None:
        self.position(account_id, instrument)
        delta = self.position_deltas[(account_id, instrument.pk)]
        delta[0] += qty
        delta[1] += reserved


def _raise_status(order: Order, status: str) -> None:
    """States only move forward; fills during a pending cancel keep `pending_cancel`."""
    if Order.RANK[status] > Order.RANK[order.status]:
        order.status = status


def _release(batch: Batch, order: Order) -> None:
    """Bring the order's reservation down to what it still needs."""
    if order.side == Order.Side.BUY:
        target = reserve_target(order)
        release = order.reserved_cash - target
        if release:
            batch.reserved_cash[order.account_id] -= release
            order.reserved_cash = target


def _close(batch: Batch, order: Order, status: str, *, reason: str = "") -> None:
    if order.status in Order.FINAL_STATUSES:
        return
    if order.side == Order.Side.SELL:
        held = max(order.qty, order.replace_qty or ZERO) - order.filled_qty
        batch.move_position(order.account_id, order.instrument, reserved=-held)
    order.status = status
    if reason:
        order.reject_reason = reason
    _release(batch, order)  # final: the target is zero
    order.replace_qty = order.replace_limit_price = None


def apply_event(batch: Batch, event, codec) -> None:
    """One engine event onto the batch. `codec` turns ticks and lots back into Decimals."""
    orders = batch.orders
    now = timezone.now()
    instrument = batch.instruments[event.symbol]
    instrument.engine_seq = event.seq  # every event: a restarted engine continues from here
    batch.dirty_instruments.add(event.symbol)
    if isinstance(event, ev.BookLevel):
        return
    if isinstance(event, ev.StatusChanged):
        instrument.status = event.status
        batch.status_changed.add(event.symbol)
        return
    if isinstance(event, ev.Trade):
        _apply_trade(batch, event, codec, instrument)
        return
    order = orders.get(getattr(event, "order_id", None))
    if order is None:
        return
    batch.dirty_orders.add(order.pk)
    if isinstance(event, ev.Accepted):
        _raise_status(order, Order.Status.NEW)
        order.engine_at = now
        order.engine_seq = event.seq
        batch.updates.append(OrderUpdate(order, "new"))
    elif isinstance(event, ev.Rejected):
        _close(batch, order, Order.Status.REJECTED, reason=event.reason)
        batch.updates.append(OrderUpdate(order, "rejected"))
    elif isinstance(event, ev.Canceled):
        _close(batch, order, Order.Status.CANCELED)
        batch.updates.append(OrderUpdate(order, "canceled"))
    elif isinstance(event, ev.Expired):
        _close(batch, order, Order.Status.EXPIRED)
        batch.updates.append(OrderUpdate(order, "expired"))
    elif isinstance(event, ev.Replaced):
        _apply_replaced(batch, order, event, codec)
    elif isinstance(event, ev.CancelRejected):
        _apply_cancel_rejected(batch, order, event)
    elif isinstance(event, ev.StopTriggered):
        order.stop_triggered = True
        order.engine_seq = event.seq


def _apply_replaced(batch: Batch, order: Order, event, codec) -> None:
    old_qty = order.qty
    order.qty = codec.qty(event.qty)
    if event.price is not None and order.limit_price is not None:
        order.limit_price = codec.price(event.price)
        if order.side == Order.Side.BUY and order.type in (Order.Type.LIMIT, Order.Type.STOP_LIMIT):
            order.reserve_price = order.limit_price
    if order.side == Order.Side.SELL and order.qty < old_qty:
        batch.move_position(order.account_id, order.instrument, reserved=order.qty - old_qty)
    order.replace_qty = order.replace_limit_price = None
    if not event.priority_kept:
        order.engine_seq = event.seq
    _release(batch, order)
    batch.updates.append(OrderUpdate(order, "replaced"))


def _apply_cancel_rejected(batch: Batch, order: Order, event) -> None:
    if event.request == "replace" and order.replace_qty is not None:
        if order.side == Order.Side.SELL and order.replace_qty > order.qty and order.is_open:
            batch.move_position(order.account_id, order.instrument, reserved=order.qty - order.replace_qty)
        order.replace_qty = order.replace_limit_price = None
        _release(batch, order)
        batch.updates.append(OrderUpdate(order, "rejected"))
    elif event.request == "cancel" and order.status == Order.Status.PENDING_CANCEL:
        # The engine does not hold it: it never got there, so the cancel simply closes it.
        _close(batch, order, Order.Status.CANCELED)
        batch.updates.append(OrderUpdate(order, "canceled"))


def _fill(batch: Batch, order: Order, qty: Decimal, price: Decimal, leaves: int) -> None:
    order.filled_qty += qty
    order.filled_notional += qty * price
    batch.dirty_orders.add(order.pk)
    if order.side == Order.Side.SELL:
        batch.move_position(order.account_id, order.instrument, reserved=-qty)
    if leaves == 0:  # the engine holds nothing more of it; a pending replace will be refused
        _close(batch, order, Order.Status.FILLED)
    else:
        _raise_status(order, Order.Status.PARTIALLY_FILLED)
        _release(batch, order)


def _apply_trade(batch: Batch, event, codec, instrument: Instrument) -> None:
    maker, taker = batch.orders[event.maker_order_id], batch.orders[event.taker_order_id]
    qty, price = codec.qty(event.qty), codec.price(event.price)
    notional = (qty * price).quantize(CENT)
    maker_fee, taker_fee = fee_for(notional, instrument.maker_fee_rate), fee_for(notional, instrument.taker_fee_rate)
    buyer, seller = (taker, maker) if event.aggressor_side == "buy" else (maker, taker)
    buyer_fee, seller_fee = (taker_fee, maker_fee) if buyer is taker else (maker_fee, taker_fee)

    _fill(batch, maker, qty, price, event.maker_leaves_qty)
    _fill(batch, taker, qty, price, event.taker_leaves_qty)

    house = batch.house()
    batch.cash[buyer.account_id] -= notional + buyer_fee
    batch.cash[seller.account_id] += notional - seller_fee
    batch.cash[house] += buyer_fee + seller_fee

    bought = batch.position(buyer.account_id, instrument)
    held = bought.qty + batch.position_deltas[(buyer.account_id, instrument.pk)][0]
    bought.avg_price = ((bought.avg_price * held + price * qty) / (held + qty)).quantize(PRICE_PLACES, ROUND_HALF_EVEN)
    batch.move_position(buyer.account_id, instrument, qty=qty)
    sold = batch.position(seller.account_id, instrument)
    sold.realized_pl += ((price - sold.avg_price) * qty).quantize(CENT, ROUND_HALF_EVEN)
    batch.move_position(seller.account_id, instrument, qty=-qty)

    trade = Trade(instrument=instrument, price=price, qty=qty, aggressor_side=event.aggressor_side,
                  maker_order=maker, taker_order=taker, maker_fee=maker_fee, taker_fee=taker_fee, seq=event.seq)
    legs = [(buyer.account_id, LedgerEntry.Kind.TRADE, -notional), (seller.account_id, LedgerEntry.Kind.TRADE, notional),
            (buyer.account_id, LedgerEntry.Kind.FEE, -buyer_fee), (seller.account_id, LedgerEntry.Kind.FEE, -seller_fee),
            (house, LedgerEntry.Kind.FEE, buyer_fee + seller_fee)]
    batch.trades.append((trade, [leg for leg in legs if leg[2]]))
    instrument.last_price = price
    instrument.engine_trade_id = event.trade_id
    fill = {"price": price, "qty": qty, "trade_seq": event.seq}
    batch.updates.append(OrderUpdate(maker, "fill" if maker.status == Order.Status.FILLED else "partial_fill",
                                     {**fill, "liquidity": "maker", "fee": maker_fee, "trade": trade}))
    batch.updates.append(OrderUpdate(taker, "fill" if taker.status == Order.Status.FILLED else "partial_fill",
                                     {**fill, "liquidity": "taker", "fee": taker_fee, "trade": trade}))


ORDER_FIELDS = ("status", "filled_qty", "filled_notional", "reject_reason", "reserved_cash", "reserve_price", "qty",
                "limit_price", "replace_qty", "replace_limit_price", "engine_seq", "engine_at", "stop_triggered",
                "updated_at")


def flush(batch: Batch) -> None:
    """Write everything the batch changed. Runs inside the batch's transaction."""
    Trade.objects.bulk_create([trade for trade, _ in batch.trades])
    entries = []
    for trade, legs in batch.trades:
        txn = f"trade:{trade.instrument_id}:{trade.seq}"
        entries += [LedgerEntry(txn=txn, account_id=a, kind=k, amount=amount, trade=trade) for a, k, amount in legs]
    LedgerEntry.objects.bulk_create(entries)
    # The orders and the instrument before the accounts and positions: those rows are hot (the web
    # locks them to reserve for every order), so the batch holds their locks only for its last
    # statements and the commit.
    now = timezone.now()
    dirty = [batch.orders[pk] for pk in sorted(batch.dirty_orders)]
    for order in dirty:
        order.updated_at = now
    write_orders(dirty)
    instruments = defaultdict(list)  # rows of one shape each: with or without the status
    for symbol in sorted(batch.dirty_instruments):
        instrument = batch.instruments[symbol]
        fields = {"last_price": instrument.last_price, "engine_seq": instrument.engine_seq,
                  "engine_trade_id": instrument.engine_trade_id}
        if symbol in batch.status_changed:  # else ops may have halted it during the batch
            fields["status"] = instrument.status
        instruments[symbol in batch.status_changed].append((instrument.pk, fields))
    for rows in instruments.values():
        update_rows(Instrument, rows)
    # Positions, then accounts, each in key order: the order services lock in the same order
    # (order_place_many), and so do other engine shards, so no two transactions wait on each other.
    if batch.positions:
        # Locked only now, and checked: what the batch computed from them still holds.
        now_held = {(p.account_id, p.instrument_id): (p.qty, p.avg_price, p.realized_pl) for p in
                    Position.objects.select_for_update(no_key=True).filter(
                        pk__in=[p.pk for p in batch.positions.values()]).order_by("account_id", "instrument_id")}
        if any(now_held.get(key) != read for key, read in batch.positions_read.items()):
            raise PositionChanged("a position changed while the batch was applied; the worker redoes the batch")
    positions = []
    for key in sorted(batch.positions):
        position, (qty, reserved) = batch.positions[key], batch.position_deltas[key]
        positions.append((position.pk, {
            "qty": F("qty") + qty, "reserved_qty": F("reserved_qty") + reserved,
            "avg_price": position.avg_price if position.qty + qty else ZERO, "realized_pl": position.realized_pl}))
    update_rows(Position, positions)
    accounts = []
    for account_id in sorted(set(batch.cash) | set(batch.reserved_cash)):
        cash, reserved = batch.cash.get(account_id, ZERO), batch.reserved_cash.get(account_id, ZERO)
        if cash or reserved:
            accounts.append((account_id, {"cash": F("cash") + cash, "reserved_cash": F("reserved_cash") + reserved}))
    update_rows(Account, accounts)


class PositionChanged(Exception):
    pass


_statements: dict[tuple, str | None] = {}


def update_rows(model, rows: list[tuple[int, dict]]) -> None:
    """`model.objects.filter(pk=pk).update(**values)` for every (pk, values) row, as one statement
    executed for all rows. Every row names the same fields in the same order, each a non-null value
    or F(that field) + a Decimal. Django compiles the statement once per shape of row (and database);
    the rows only bind their own parameters. Should the compiled parameters not be exactly the ones
    this binds, the rows go through the ORM one by one."""
    if not rows:
        return
    pk, values = rows[0]
    shape = (model, connection.alias, connection.vendor,
             tuple((name, isinstance(value, CombinedExpression)) for name, value in values.items()))
    if shape not in _statements:
        query = UpdateQuery(model)
        query.add_update_values(values)
        query.add_q(Q(pk=pk))
        statement, params = query.get_compiler(connection=connection).as_sql()
        try:
            same = list(params) == _row_params(model, pk, values)
        except TypeError:
            same = False
        _statements[shape] = statement if same else None
    statement = _statements[shape]
    try:
        params = None if statement is None else [_row_params(model, pk, values) for pk, values in rows]
    except TypeError:
        params = None
    if params is None:
        for pk, values in rows:
            model.objects.filter(pk=pk).update(**values)
        return
    with connection.cursor() as cursor:
        cursor.executemany(statement, params)


def _row_params(model, pk, values: dict) -> list:
    params = []
    for name, value in values.items():
        if isinstance(value, CombinedExpression):
            if not (value.connector == "+" and isinstance(value.lhs, F) and value.lhs.name == name
                    and isinstance(value.rhs, Value) and isinstance(value.rhs.value, Decimal)):
                raise TypeError(f"unsupported expression for {name}")
            params.append(value.rhs.value)
        elif value is None or hasattr(value, "resolve_expression"):
            raise TypeError(f"unsupported value for {name}")  # the compiler writes NULL inline
        else:
            params.append(model._meta.get_field(name).get_db_prep_save(value, connection))
    return [*params, pk]


def write_orders(orders: list[Order]) -> None:
    """Save ORDER_FIELDS of every order, each value bound as Django binds it (`get_db_prep_save`).
    On PostgreSQL one `UPDATE ... FROM (VALUES ...)` for up to 1,000 orders; elsewhere one UPDATE
    executed for each order."""
    if not orders:
        return
    quote = connection.ops.quote_name
    fields = [Order._meta.get_field(name) for name in ORDER_FIELDS]
    pk = Order._meta.pk
    rows = [[f.get_db_prep_save(getattr(order, f.attname), connection) for f in fields] + [order.pk] for order in orders]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {quote(Order._meta.db_table)} SET " + ", ".join(f"{quote(f.column)} = %s" for f in fields)
                + f" WHERE {quote(pk.column)} = %s", rows)
            return
        # Every value cast to its column's type, so that a column of NULLs is not taken for text.
        row = "(" + ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in [*fields, pk]) + ")"
        names = ", ".join(quote(f.column) for f in [*fields, pk])
        assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
        for start in range(0, len(rows), 1000):
            chunk = rows[start:start + 1000]
            cursor.execute(
                f"UPDATE {quote(Order._meta.db_table)} AS o SET {assignments} FROM (VALUES "
                + ", ".join([row] * len(chunk)) + f") AS v ({names}) WHERE o.{quote(pk.column)} = v.{quote(pk.column)}",
                [value for values in chunk for value in values])
