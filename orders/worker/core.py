"""The engine worker's synchronous core: turns bus commands into engine commands, runs
the engine, and settles each batch in one transaction. Runs in one thread only."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from common.logging import get_logger
from marketdata.models import Instrument
from orders import engine as eng
from orders.bus import BusCommand, CommandKind, shard_for
from orders.models import Order
from orders.private.messages import PrivateMessage
from orders.worker.lease import shard_fence
from orders.worker.rows import select_rows
from orders.worker.settlement import Batch, OrderUpdate, apply_event, cancel_unseen, flush

log = get_logger("orders.engine")

RESTING = (Order.Status.NEW, Order.Status.PARTIALLY_FILLED, Order.Status.PENDING_CANCEL)
# Levels per side of the book views a batch hands its publisher (REST serves up to this depth).
BOOK_DEPTH = 1000


def instrument_spec(instrument: Instrument) -> eng.InstrumentSpec:
    return eng.InstrumentSpec(instrument.tick_size.normalize(), instrument.lot_size.normalize())


def _ticks(spec: eng.InstrumentSpec, price) -> int | None:
    return None if price is None else spec.price_to_ticks(price)


def engine_shape(order: Order) -> tuple[str, str, Decimal | None]:
    """(type, time_in_force, limit price) the engine sees. A market or stop buy trades no
    higher than the collar price its cash was reserved at, so it becomes a limit IOC (or a
    stop-limit) at that price."""
    if order.side == Order.Side.BUY and order.type == Order.Type.MARKET:
        return Order.Type.LIMIT, ("fok" if order.time_in_force == "fok" else "ioc"), order.reserve_price
    if order.side == Order.Side.BUY and order.type == Order.Type.STOP:
        return Order.Type.STOP_LIMIT, order.time_in_force, order.reserve_price
    if order.side == Order.Side.BUY and order.type == Order.Type.MIDPOINT:
        return order.type, order.time_in_force, order.reserve_price  # an uncapped buy: capped at its collar
    return order.type, order.time_in_force, order.limit_price


def _order_ids(events) -> set[int]:
    ids = set()
    for e in events:
        if isinstance(e, (eng.Trade, eng.MidpointTrade)):
            ids.update((e.maker_order_id, e.taker_order_id))
        elif getattr(e, "order_id", None) is not None:
            ids.add(e.order_id)
    return ids


@dataclass
class BatchResult:
    """What a committed batch hands the publisher."""

    updates: list[OrderUpdate]
    events: list
    lags: list[float]
    # symbol -> (L1, L2 to BOOK_DEPTH) as this batch left the book: the publisher runs while the
    # next batch already changes the books, so it must not read them itself.
    books: dict[str, tuple] = field(default_factory=dict)
    # symbol -> its tick and lot grid, for each symbol in `books`.
    specs: dict[str, eng.InstrumentSpec] = field(default_factory=dict)
    # Counts the core's rebuilds of its books: a publisher that sees it change owes every
    # symbol a full snapshot.
    generation: int = 0
    # account id -> its private messages of the batch (seq assigned, stored: orders/worker/private.py)
    private: dict[int, list[PrivateMessage]] = field(default_factory=dict)


class EngineCore:
    def __init__(self, *, shard: int, shards: int):
        self.shard, self.shards = shard, shards
        self.engine = eng.MatchingEngine()
        self.specs: dict[str, eng.InstrumentSpec] = {}
        self.house_id: int | None = None  # the fee account, found by the first batch with a trade
        self.generation = 0
        self.epoch: int | None = None  # the shard lease's fencing token, once held (orders/worker/lease.py)

    # --- recovery --------------------------------------------------------------
    def owns(self, symbol: str) -> bool:
        return shard_for(symbol, self.shards) == self.shard

    def recover(self) -> None:
        """Rebuild every book of this shard from the open orders in the database."""
        self.engine = eng.MatchingEngine()
        self.specs = {}
        self.house_id = None
        self.generation += 1
        for instrument in Instrument.objects.all():
            if self.owns(instrument.symbol):
                self._restore(instrument)

    def _restore(self, instrument: Instrument) -> None:
        spec = self.specs[instrument.symbol] = instrument_spec(instrument)
        self.engine.add_symbol(instrument.symbol)
        records = []
        for o in Order.objects.filter(instrument=instrument, status__in=RESTING, engine_at__isnull=False).order_by("engine_seq", "id"):
            type_, tif, price = engine_shape(o)
            records.append(eng.OpenOrder(
                order_id=o.pk, account_id=o.account_id, symbol=instrument.symbol, side=o.side, type=type_,
                time_in_force=tif, qty=spec.qty_to_lots(o.qty), leaves_qty=spec.qty_to_lots(o.qty - o.filled_qty),
                price=_ticks(spec, price), stop_price=_ticks(spec, o.stop_price), post_only=o.post_only,
                triggered=o.stop_triggered, min_qty=None if o.min_qty is None else spec.qty_to_lots(o.min_qty)))
        self.engine.restore(instrument.symbol, records, seq=instrument.engine_seq, trade_seq=instrument.engine_trade_id,
                            last_price=_ticks(spec, instrument.last_price),
                            halted=instrument.status == Instrument.Status.HALTED)
        log.info("book restored", symbol=instrument.symbol, orders=len(records), seq=instrument.engine_seq)

    def stale_accepted_commands(self) -> list[BusCommand]:
        """`new` commands for accepted orders of this shard that never reached the engine."""
        orders = Order.objects.filter(status=Order.Status.ACCEPTED).select_related("instrument").order_by("id")
        return [BusCommand(CommandKind.NEW, o.instrument.symbol, o.pk) for o in orders if self.owns(o.instrument.symbol)]

    def status_commands(self) -> list[BusCommand]:
        """halt/resume commands for symbols whose database status the engine does not have."""
        commands = []
        for symbol, status in Instrument.objects.filter(symbol__in=list(self.specs)).values_list("symbol", "status"):
            halted = status == Instrument.Status.HALTED
            if halted != self.engine.is_halted(symbol):
                commands.append(BusCommand(CommandKind.HALT if halted else CommandKind.RESUME, symbol))
        return commands

    # --- batches ----------------------------------------------------------------
    def handle_batch(self, commands: list[BusCommand]) -> BatchResult:
        symbols = {c.symbol for c in commands}
        with transaction.atomic():
            if self.epoch is not None:
                shard_fence(shard=self.shard, shards=self.shards, epoch=self.epoch)
            instruments = {i.symbol: i for i in select_rows(Instrument, symbol=sorted(symbols))}
            for symbol, instrument in instruments.items():
                known = self.specs.get(symbol)
                # New to this shard, or its grid changed (ops may change it only while the symbol is
                # halted with no open order: orders.services.ops.instrument_grid_change_check).
                if (known is None and self.owns(symbol)) or (known is not None and known != instrument_spec(instrument)):
                    self._restore(instrument)
            batch = Batch(orders={}, instruments=instruments, house_id=self.house_id)
            ids = [c.order_id for c in commands if c.order_id is not None]
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
        if batch.dirty_orders:  # an order's id, from the web's "order accepted" to here, in the logs
            log.info("batch settled", commands=len(commands), orders=sorted(batch.dirty_orders),
                     trades=len(batch.trades))
        symbols = {e.symbol for e in events if e.seq and e.symbol in self.specs}
        books = {s: (self.engine.l1(s), self.engine.l2(s, BOOK_DEPTH)) for s in symbols}
        return BatchResult(batch.updates, events, lags, books, {s: self.specs[s] for s in symbols}, self.generation,
                           batch.private)

    @staticmethod
    def _fresh_new(command: BusCommand, batch: Batch, touched: set[int]) -> bool:
        """A `new` command for an accepted order that no waiting event names: translating it reads
        and changes nothing that the waiting events change."""
        order = batch.orders.get(command.order_id)
        return (command.kind is CommandKind.NEW and order is not None and order.pk not in touched
                and order.status == Order.Status.ACCEPTED)

    def _apply_events(self, batch: Batch, events) -> None:
        if not events:
            return
        self._load_missing(batch, events)
        for event in events:
            if event.seq:
                apply_event(batch, event, self.specs[event.symbol])

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
            if isinstance(e, (eng.Trade, eng.MidpointTrade)):
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

    def _translate(self, command: BusCommand, batch: Batch, lags: list[float]) -> list:
        kind, symbol = command.kind, command.symbol
        if symbol not in self.specs:
            log.warning("command for a symbol this shard does not hold", command=str(command))
            return []
        if kind is CommandKind.HALT:
            return [eng.Halt(symbol=symbol)]
        if kind is CommandKind.RESUME:
            return [eng.Resume(symbol=symbol)]
        if kind is CommandKind.EXPIRE_DAY:
            return [eng.ExpireDay(symbol=symbol)]
        order = batch.orders.get(command.order_id)
        if order is None or order.instrument.symbol != symbol:
            return []
        spec = self.specs[symbol]
        if kind is CommandKind.NEW:
            return self._translate_new(order, spec, batch, lags)
        if kind is CommandKind.CANCEL and order.status == Order.Status.PENDING_CANCEL:
            return [eng.Cancel(order_id=order.pk, symbol=symbol)]
        if kind is CommandKind.REPLACE and order.replace_qty is not None and order.is_open:
            qty = spec.qty_to_lots(order.replace_qty) if order.replace_qty != order.qty else None
            price = order.replace_limit_price if order.replace_limit_price != order.limit_price else None
            if price is not None and order.side == Order.Side.BUY and order.type == Order.Type.STOP:
                price = None
            return [eng.Replace(order_id=order.pk, symbol=symbol, qty=qty, price=_ticks(spec, price))]
        return []

    def _translate_new(self, order: Order, spec: eng.InstrumentSpec, batch: Batch, lags: list[float]) -> list:
        if self.engine.knows(order.pk):
            return []
        if order.status == Order.Status.PENDING_CANCEL and order.engine_at is None:
            cancel_unseen(batch, order)
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
        return [spec.new_order(order_id=order.pk, account_id=order.account_id, symbol=symbol, side=order.side,
                               qty=order.qty, type=type_, time_in_force=tif, price=price,
                               stop_price=order.stop_price, post_only=order.post_only, min_qty=order.min_qty)]
