"""Applies the engine's events to the system of record, inside the batch's transaction.

Orders are loaded locked and changed in memory; accounts and positions are changed by
deltas (F expressions) because the order services reserve on them concurrently.

Performance: the positions the events touch are read in one query per symbol and run of events
(`Batch.load_positions`) and locked only when the batch is written, and `flush` writes each table
with one statement for all of the batch's rows (orders/worker/rows.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from django.utils import timezone

from marketdata.models import Instrument
from orders.engine import InstrumentSpec
from orders.engine import events as ev
from orders.models import Account, LedgerEntry, Order, Position, Trade
from orders.money import CENT, ZERO, fee_for
from orders.services.accounts import account_system
from orders.services.reservations import reserve_target
from orders.private.messages import PrivateMessage
from orders.worker.private import flush_accounts
from orders.worker.rows import insert_rows, pipeline, select_rows, update_rows

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
    dirty_orders: set[int] = field(default_factory=set)
    dirty_instruments: set[str] = field(default_factory=set)
    status_changed: set[str] = field(default_factory=set)
    house_id: int | None = None
    started_at: datetime = field(default_factory=timezone.now)  # the batch's one "now" (engine_at)
    positions_read: dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]] = field(default_factory=dict)
    # account -> its private messages, seq assigned, once `flush` wrote them
    private: dict[int, list[PrivateMessage]] = field(default_factory=dict)

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
            for position in select_rows(Position, instrument_id=[instrument_id], account_id=sorted(account_ids)):
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


def cancel_unseen(batch: Batch, order: Order) -> None:
    """A `new` command for an order canceled before the engine ever saw it: close it here."""
    _close(batch, order, Order.Status.CANCELED)
    batch.dirty_orders.add(order.pk)
    batch.updates.append(OrderUpdate(order, "canceled"))


def apply_event(batch: Batch, event, spec: InstrumentSpec) -> None:
    """One engine event onto the batch. `spec` turns its ticks and lots back into Decimals."""
    orders = batch.orders
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
        _apply_trade(batch, event, spec, instrument, spec.ticks_to_price(event.price), dark=False)
        return
    if isinstance(event, ev.MidpointTrade):
        _apply_trade(batch, event, spec, instrument, spec.half_ticks_to_price(event.half_ticks), dark=True)
        return
    order = orders.get(getattr(event, "order_id", None))
    if order is None:
        return
    batch.dirty_orders.add(order.pk)
    if isinstance(event, ev.Accepted):
        _raise_status(order, Order.Status.NEW)
        order.engine_at = batch.started_at
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
        _apply_replaced(batch, order, event, spec)
    elif isinstance(event, ev.CancelRejected):
        _apply_cancel_rejected(batch, order, event)
    elif isinstance(event, ev.StopTriggered):
        order.stop_triggered = True
        order.engine_seq = event.seq


def _apply_replaced(batch: Batch, order: Order, event, spec: InstrumentSpec) -> None:
    old_qty = order.qty
    order.qty = spec.lots_to_qty(event.qty)
    if event.price is not None and order.limit_price is not None:
        order.limit_price = spec.ticks_to_price(event.price)
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


def _apply_trade(batch: Batch, event, spec: InstrumentSpec, instrument: Instrument, price: Decimal, *,
                 dark: bool) -> None:
    """A lit or dark (midpoint, maybe half a tick) fill. The cash that moves is the notional
    rounded to the cent, half to even, the same amount for buyer and seller; fees are truncated."""
    maker, taker = batch.orders[event.maker_order_id], batch.orders[event.taker_order_id]
    qty = spec.lots_to_qty(event.qty)
    notional = (qty * price).quantize(CENT, ROUND_HALF_EVEN)
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
                  maker_order=maker, taker_order=taker, maker_fee=maker_fee, taker_fee=taker_fee, seq=event.seq,
                  dark=dark)
    legs = [(buyer.account_id, LedgerEntry.Kind.TRADE, -notional), (seller.account_id, LedgerEntry.Kind.TRADE, notional),
            (buyer.account_id, LedgerEntry.Kind.FEE, -buyer_fee), (seller.account_id, LedgerEntry.Kind.FEE, -seller_fee),
            (house, LedgerEntry.Kind.FEE, buyer_fee + seller_fee)]
    batch.trades.append((trade, [leg for leg in legs if leg[2]]))
    if not dark:  # the lit last price: the engine restores its own from it (a midpoint may be off the grid)
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


TRADE_FIELDS = ("instrument_id", "price", "qty", "aggressor_side", "maker_order_id", "taker_order_id", "maker_fee",
                "taker_fee", "seq", "dark", "created_at")
LEDGER_FIELDS = ("txn", "account_id", "kind", "amount", "trade_id", "memo", "created_at")


def flush(batch: Batch) -> None:
    """Write everything the batch changed. Runs inside the batch's transaction, pipelined
    (orders/worker/rows.py `pipeline`): three round trips to PostgreSQL, at the trades' ids, at the
    positions' locks and at the end, instead of one per statement."""
    now = timezone.now()
    with pipeline():
        # The orders and the instrument before the accounts and positions: those rows are hot (the
        # web locks them to reserve for every order), so the batch holds their locks only for its
        # last statements and the commit.
        dirty = [batch.orders[pk] for pk in sorted(batch.dirty_orders)]
        for order in dirty:
            order.updated_at = now
        update_rows(Order, [o.pk for o in dirty], set={name: [getattr(o, name) for o in dirty] for name in ORDER_FIELDS})
        instruments = [batch.instruments[symbol] for symbol in sorted(batch.dirty_instruments)]
        for halted_or_resumed in (False, True):  # else ops may have halted it during the batch: leave the status
            rows = [i for i in instruments if (i.symbol in batch.status_changed) == halted_or_resumed]
            fields = ("last_price", "engine_seq", "engine_trade_id") + (("status",) if halted_or_resumed else ())
            update_rows(Instrument, [i.pk for i in rows], set={name: [getattr(i, name) for i in rows] for name in fields})
        _insert_trades(batch, now)
        # Positions, then accounts, each in key order: the order services lock in the same order
        # (order_place_many), and so do other engine shards, so no two transactions wait on each other.
        keys = sorted(batch.positions)
        if keys:
            # Locked only now, and checked: what the batch computed from them still holds.
            now_held = {(p.account_id, p.instrument_id): (p.qty, p.avg_price, p.realized_pl) for p in select_rows(
                Position, lock="no_key", order_by=("account_id", "instrument_id"), id=[batch.positions[k].pk for k in keys])}
            if any(now_held.get(key) != read for key, read in batch.positions_read.items()):
                raise PositionChanged("a position changed while the batch was applied; the worker redoes the batch")
        positions = [batch.positions[key] for key in keys]
        deltas = [batch.position_deltas[key] for key in keys]
        update_rows(Position, [p.pk for p in positions],
                    set={"avg_price": [p.avg_price if p.qty + qty else ZERO for p, (qty, _) in zip(positions, deltas)],
                         "realized_pl": [p.realized_pl for p in positions]},
                    add={"qty": [qty for qty, _ in deltas], "reserved_qty": [reserved for _, reserved in deltas]})
        # The accounts' deltas and the private stream's messages (orders/worker/private.py).
        batch.private = flush_accounts(batch, now)


def _insert_trades(batch: Batch, now: datetime) -> None:
    """The batch's trades and their ledger legs; each trade learns its id (the legs name it)."""
    trades = {(trade.instrument_id, trade.seq): trade for trade, _ in batch.trades}
    for trade in trades.values():
        trade.created_at = now
    for pk, instrument_id, seq in insert_rows(Trade, TRADE_FIELDS, [[getattr(t, f) for f in TRADE_FIELDS]
                                                                    for t in trades.values()],
                                              returning=("id", "instrument_id", "seq")):
        trades[instrument_id, seq].pk = pk
    insert_rows(LedgerEntry, LEDGER_FIELDS, [
        (f"trade:{trade.instrument_id}:{trade.seq}", account_id, kind, amount, trade.pk, "", now)
        for trade, legs in batch.trades for account_id, kind, amount in legs])


class PositionChanged(Exception):
    pass
