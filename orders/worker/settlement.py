"""Applies the engine's events to the system of record, inside the batch's transaction.

Orders are loaded locked and changed in memory; accounts and positions are changed by
deltas (F expressions) because the order services reserve on them concurrently.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import F
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

    # --- positions -----------------------------------------------------------
    def position(self, account_id: int, instrument: Instrument) -> Position:
        key = (account_id, instrument.pk)
        if key not in self.positions:
            self.positions[key], _ = Position.objects.select_for_update().get_or_create(
                account_id=account_id, instrument=instrument)
            self.position_deltas[key] = [ZERO, ZERO]
        return self.positions[key]

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

    house = account_system(kind=Account.Kind.HOUSE)
    batch.cash[buyer.account_id] -= notional + buyer_fee
    batch.cash[seller.account_id] += notional - seller_fee
    batch.cash[house.pk] += buyer_fee + seller_fee

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
            (house.pk, LedgerEntry.Kind.FEE, buyer_fee + seller_fee)]
    batch.trades.append((trade, [leg for leg in legs if leg[2]]))
    instrument.last_price = price
    instrument.engine_trade_id = event.trade_id
    fill = {"price": price, "qty": qty, "trade_seq": event.seq}
    batch.updates.append(OrderUpdate(maker, "fill" if maker.status == Order.Status.FILLED else "partial_fill",
                                     {**fill, "liquidity": "maker", "fee": maker_fee, "trade": trade}))
    batch.updates.append(OrderUpdate(taker, "fill" if taker.status == Order.Status.FILLED else "partial_fill",
                                     {**fill, "liquidity": "taker", "fee": taker_fee, "trade": trade}))


def flush(batch: Batch) -> None:
    """Write everything the batch changed. Runs inside the batch's transaction."""
    Trade.objects.bulk_create([trade for trade, _ in batch.trades])
    entries = []
    for trade, legs in batch.trades:
        txn = f"trade:{trade.instrument_id}:{trade.seq}"
        entries += [LedgerEntry(txn=txn, account_id=a, kind=k, amount=amount, trade=trade) for a, k, amount in legs]
    LedgerEntry.objects.bulk_create(entries)
    for account_id in set(batch.cash) | set(batch.reserved_cash):
        cash, reserved = batch.cash.get(account_id, ZERO), batch.reserved_cash.get(account_id, ZERO)
        if cash or reserved:
            Account.objects.filter(pk=account_id).update(cash=F("cash") + cash, reserved_cash=F("reserved_cash") + reserved)
    for key, position in batch.positions.items():
        qty, reserved = batch.position_deltas[key]
        Position.objects.filter(pk=position.pk).update(
            qty=F("qty") + qty, reserved_qty=F("reserved_qty") + reserved,
            avg_price=position.avg_price if position.qty + qty else ZERO, realized_pl=position.realized_pl)
    dirty = [batch.orders[pk] for pk in sorted(batch.dirty_orders)]
    now = timezone.now()
    for order in dirty:
        order.updated_at = now
    Order.objects.bulk_update(dirty, ["status", "filled_qty", "filled_notional", "reject_reason", "reserved_cash",
                                      "reserve_price", "qty", "limit_price", "replace_qty", "replace_limit_price",
                                      "engine_seq", "engine_at", "stop_triggered", "updated_at"], batch_size=500)
    for symbol in batch.dirty_instruments:
        instrument = batch.instruments[symbol]
        fields = {"last_price": instrument.last_price, "engine_seq": instrument.engine_seq,
                  "engine_trade_id": instrument.engine_trade_id}
        if symbol in batch.status_changed:  # else ops may have halted it during the batch
            fields["status"] = instrument.status
        Instrument.objects.filter(pk=instrument.pk).update(**fields)
