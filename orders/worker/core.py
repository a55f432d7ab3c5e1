"""The engine worker's synchronous core: turns bus commands into engine commands, runs
the engine, and settles each batch in one transaction. Runs in one thread only."""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from marketdata.models import Instrument
from orders import engine as eng
from orders.bus import shard_for
from orders.models import Order
from orders.worker.publish import BOOK_DEPTH
from orders.worker.rows import select_rows
from orders.worker.settlement import Batch, OrderUpdate, _close, apply_event, flush

log = logging.getLogger("orders.engine")

RESTING = (Order.Status.NEW, Order.Status.PARTIALLY_FILLED, Order.Status.PENDING_CANCEL)


class Codec:
    """Decimal <-> ticks and lots for one instrument."""

    def __init__(self, instrument: Instrument):
        self.spec = eng.InstrumentSpec(instrument.tick_size.normalize(), instrument.lot_size.normalize())

    def price(self, ticks: int) -> Decimal:
        return self.spec.ticks_to_price(ticks)

    def qty(self, lots: int) -> Decimal:
        return self.spec.lots_to_qty(lots)

    def ticks(self, price: Decimal | None) -> int | None:
        return None if price is None else self.spec.price_to_ticks(price)

    def lots(self, qty: Decimal) -> int:
        return self.spec.qty_to_lots(qty)


def engine_shape(order: Order) -> tuple[str, str, Decimal | None]:
    """(type, time_in_force, limit price) the engine sees. A market or stop buy trades no
    higher than the collar price its cash was reserved at, so it becomes a limit IOC (or a
    stop-limit) at that price."""
    if order.side == Order.Side.BUY and order.type == Order.Type.MARKET:
        return Order.Type.LIMIT, ("fok" if order.time_in_force == "fok" else "ioc"), order.reserve_price
    if order.side == Order.Side.BUY and order.type == Order.Type.STOP:
        return Order.Type.STOP_LIMIT, order.time_in_force, order.reserve_price
    return order.type, order.time_in_force, order.limit_price


def _order_ids(events) -> set[int]:
    ids = set()
    for e in events:
        if isinstance(e, eng.Trade):
            ids.update((e.maker_order_id, e.taker_order_id))
        elif getattr(e, "order_id", None) is not None:
            ids.add(e.order_id)
    return ids


@dataclass
class BatchResult:
    updates: list[OrderUpdate]
    events: list
    symbols: set[str]
    lags: list[float]
    # symbol -> (L1, L2 to BOOK_DEPTH) as this batch left the book: the publisher runs while the
    # next batch already changes the books, so it must not read them itself.
    books: dict[str, tuple] = field(default_factory=dict)


class EngineCore:
    def __init__(self, *, shard: int, shards: int):
        self.shard, self.shards = shard, shards
        self.engine = eng.MatchingEngine()
        self.codecs: dict[str, Codec] = {}
        self.house_id: int | None = None  # the fee account, found by the first batch with a trade

    # --- recovery --------------------------------------------------------------
    def owns(self, symbol: str) -> bool:
        return shard_for(symbol, self.shards) == self.shard

    def recover(self) -> None:
        """Rebuild every book of this shard from the open orders in the database."""
        self.engine = eng.MatchingEngine()
        self.codecs = {}
        self.house_id = None
        for instrument in Instrument.objects.all():
            if self.owns(instrument.symbol):
                self._restore(instrument)

    def _restore(self, instrument: Instrument) -> None:
        codec = Codec(instrument)
        self.codecs[instrument.symbol] = codec
        self.engine.add_symbol(instrument.symbol)
        records = []
        for o in Order.objects.filter(instrument=instrument, status__in=RESTING, engine_at__isnull=False).order_by("engine_seq", "id"):
            type_, tif, price = engine_shape(o)
            records.append(eng.OpenOrder(
                order_id=o.pk, account_id=o.account_id, symbol=instrument.symbol, side=o.side, type=type_,
                time_in_force=tif, qty=codec.lots(o.qty), leaves_qty=codec.lots(o.qty - o.filled_qty),
                price=codec.ticks(price), stop_price=codec.ticks(o.stop_price), post_only=o.post_only,
                triggered=o.stop_triggered))
        self.engine.restore(instrument.symbol, records, seq=instrument.engine_seq, trade_seq=instrument.engine_trade_id,
                            last_price=codec.ticks(instrument.last_price),
                            halted=instrument.status == Instrument.Status.HALTED)
        log.info("book restored", extra={"symbol": instrument.symbol, "orders": len(records), "seq": instrument.engine_seq})

    def stale_accepted_commands(self) -> list[dict]:
        """`new` commands for accepted orders of this shard that never reached the engine."""
        orders = Order.objects.filter(status=Order.Status.ACCEPTED).select_related("instrument").order_by("id")
        return [{"kind": "new", "order_id": o.pk, "symbol": o.instrument.symbol} for o in orders
                if self.owns(o.instrument.symbol)]

    def status_commands(self) -> list[dict]:
        """halt/resume commands for symbols whose database status the engine does not have."""
        commands = []
        for symbol, status in Instrument.objects.filter(symbol__in=list(self.codecs)).values_list("symbol", "status"):
            halted = status == Instrument.Status.HALTED
            if halted != self.engine.is_halted(symbol):
                commands.append({"kind": "halt" if halted else "resume", "symbol": symbol})
        return commands

    # --- batches ----------------------------------------------------------------
    def handle_batch(self, commands: list[dict]) -> BatchResult:
        symbols = {c.get("symbol") for c in commands if isinstance(c.get("symbol"), str)}
        with transaction.atomic():
            instruments = {i.symbol: i for i in select_rows(Instrument, symbol=sorted(symbols))}
            for symbol, instrument in instruments.items():
                if symbol not in self.codecs and self.owns(symbol):
                    self._restore(instrument)
            batch = Batch(orders={}, instruments=instruments, house_id=self.house_id)
            ids = [c["order_id"] for c in commands if isinstance(c.get("order_id"), int)]
            batch.orders = self._lock_orders(ids, batch)
            events, lags = [], []
            # Events are applied in the order the engine produced them, but in runs: while commands
            # are fresh `new` orders, which no earlier event of the run can have touched, their
            # events wait, so that the resting orders and positions a whole run needs are locked
            # in one query each. Any other command first applies what waits, so it sees the state
            # it would have seen had each command's events been applied at once.
            waiting, touched = [], set()
            for command in commands:
                if waiting and not self._fresh_new(command, batch, touched):
                    self._apply_events(batch, waiting)
                    waiting, touched = [], set()
                for engine_command in self._translate(command, batch, lags):
                    produced = self.engine.apply(engine_command)
                    waiting.extend(produced)
                    touched.update(_order_ids(produced))
                    events.extend(produced)
            self._apply_events(batch, waiting)
            flush(batch)
        self.house_id = batch.house_id  # committed: it exists
        symbols = {e.symbol for e in events if e.seq and e.symbol in self.codecs}
        books = {s: (self.engine.l1(s), self.engine.l2(s, BOOK_DEPTH)) for s in symbols}
        return BatchResult(batch.updates, events, symbols, lags, books)

    @staticmethod
    def _fresh_new(command: dict, batch: Batch, touched: set[int]) -> bool:
        """A `new` command for an accepted order that no waiting event names: translating it reads
        and changes nothing that the waiting events change."""
        order = batch.orders.get(command.get("order_id"))
        return (command.get("kind") == "new" and order is not None and order.pk not in touched
                and order.status == Order.Status.ACCEPTED)

    def _apply_events(self, batch: Batch, events) -> None:
        if not events:
            return
        self._load_missing(batch, events)
        for event in events:
            if event.seq:
                apply_event(batch, event, self.codecs[event.symbol])

    def _lock_orders(self, ids, batch: Batch) -> dict[int, Order]:
        """Lock and load orders; each gets the batch's own Instrument row of its symbol (loaded once
        per batch) rather than a join per order."""
        if not ids:
            return {}
        by_id = {i.pk: i for i in batch.instruments.values()}
        orders = {}
        for order in select_rows(Order, lock="update", id=sorted(set(ids))):
            instrument = by_id.get(order.instrument_id)
            if instrument is not None:
                order.instrument = instrument
            orders[order.pk] = order
        return orders

    def _load_missing(self, batch: Batch, events) -> None:
        """Before events are applied: lock the orders they name that the batch does not
        hold yet (resting makers) in one query, then the positions they will move in one more: both
        sides of a trade, and the seller of an order that closes or changes (its reserved quantity)."""
        wanted, traded, changed = set(), set(), set()
        for e in events:
            if isinstance(e, eng.Trade):
                traded.update((e.maker_order_id, e.taker_order_id))
            elif getattr(e, "order_id", None) is not None:
                wanted.add(e.order_id)
                if not isinstance(e, (eng.Accepted, eng.StopTriggered)):
                    changed.add(e.order_id)
        missing = (wanted | traded) - batch.orders.keys()
        if missing:
            batch.orders.update(self._lock_orders(missing, batch))
        keys = set()
        for order_id in traded | changed:
            order = batch.orders.get(order_id)
            if order is not None and (order_id in traded or order.side == Order.Side.SELL):
                keys.add((order.account_id, order.instrument_id))
        if keys:
            batch.load_positions(keys)

    def _translate(self, command: dict, batch: Batch, lags: list[float]) -> list:
        kind, symbol = command.get("kind"), command.get("symbol")
        if symbol not in self.codecs:
            log.warning("command for a symbol this shard does not hold", extra={"command": command})
            return []
        if kind in ("halt", "resume"):
            return [(eng.Halt if kind == "halt" else eng.Resume)(symbol=symbol)]
        if kind == "expire_day":
            return [eng.ExpireDay(symbol=symbol)]
        order = batch.orders.get(command.get("order_id"))
        if order is None or order.instrument.symbol != symbol:
            return []
        codec = self.codecs[symbol]
        if kind == "new":
            return self._translate_new(order, codec, batch, lags)
        if kind == "cancel" and order.status == Order.Status.PENDING_CANCEL:
            return [eng.Cancel(order_id=order.pk, symbol=symbol)]
        if kind == "replace" and order.replace_qty is not None and order.is_open:
            qty = codec.lots(order.replace_qty) if order.replace_qty != order.qty else None
            price = order.replace_limit_price if order.replace_limit_price != order.limit_price else None
            if price is not None and order.side == Order.Side.BUY and order.type == Order.Type.STOP:
                price = None
            return [eng.Replace(order_id=order.pk, symbol=symbol, qty=qty, price=codec.ticks(price))]
        return []

    def _translate_new(self, order: Order, codec: Codec, batch: Batch, lags: list[float]) -> list:
        from django.utils import timezone

        if self.engine.knows(order.pk):
            return []
        if order.status == Order.Status.PENDING_CANCEL and order.engine_at is None:
            # Canceled before the engine ever saw it.
            _close(batch, order, Order.Status.CANCELED)
            batch.dirty_orders.add(order.pk)
            batch.updates.append(OrderUpdate(order, "canceled"))
            return []
        if order.status != Order.Status.ACCEPTED:
            return []
        if order.accepted_at:
            lags.append((timezone.now() - order.accepted_at).total_seconds())
        type_, tif, price = engine_shape(order)
        symbol = order.instrument.symbol
        if order.type == Order.Type.MARKET and order.side == Order.Side.BUY and self.engine.l1(symbol).ask is None:
            return [eng.RejectOrder(order_id=order.pk, account_id=order.account_id, symbol=symbol,
                                    reason=eng.RejectReason.NO_LIQUIDITY)]
        return [codec.spec.new_order(order_id=order.pk, account_id=order.account_id, symbol=symbol, side=order.side,
                                     qty=order.qty, type=type_, time_in_force=tif, price=price,
                                     stop_price=order.stop_price, post_only=order.post_only)]

    # --- views for publishing -------------------------------------------------------
    def book(self, symbol: str, depth: int = 50) -> dict:
        codec, l2 = self.codecs[symbol], self.engine.l2(symbol, depth)
        return {"seq": l2.seq,
                "bids": [[str(codec.price(p)), str(codec.qty(q))] for p, q in l2.bids],
                "asks": [[str(codec.price(p)), str(codec.qty(q))] for p, q in l2.asks]}

    def quote(self, symbol: str) -> dict:
        codec, l1 = self.codecs[symbol], self.engine.l1(symbol)

        def px(ticks):
            return None if ticks is None else str(codec.price(ticks))

        return {"bid": px(l1.bid), "bid_qty": str(codec.qty(l1.bid_qty)) if l1.bid is not None else None,
                "ask": px(l1.ask), "ask_qty": str(codec.qty(l1.ask_qty)) if l1.ask is not None else None,
                "last": px(l1.last)}
