"""Reference prices: the latest price per symbol from whichever feeds run.

Feeds hand ticks to `ReferenceWriter.offer` (cheap, never blocks). Every `publish_interval`
the writer takes the latest tick per symbol (latest wins: a fast feed is conflated, not
queued) and
- stores it in Redis under `reference_key(symbol)` as JSON `{"symbol", "price", "ts", "source"}`
  (the bots and `read_reference` read it);
- hands it to the `publish` callable the process was started with, in the same Redis pipeline
  (`run_feed` passes realtime's, which tells the WebSocket clients: marketdata knows no channel);
- writes `Instrument.reference_price` in the database when it moved, at most once per
  `db_interval` per symbol, so the order services' price band follows the feed.

Prices are rounded to the instrument's tick. Ticks for symbols that are not instruments are
counted and dropped. Redis or database trouble is logged and retried on the next round; it
never stops the feeds.
"""

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from common.db.threads import in_db_thread
from common.outages import outage_logged
from marketdata.feeds.base import InstrumentInfo, InstrumentSource, log
from marketdata.feeds.store import store_reference_prices
from marketdata.feeds.ticks import Tick


@dataclass(frozen=True, slots=True)
class ReferencePrice:
    """One symbol's reference price as the writer published it (`price` on the instrument's tick)."""

    symbol: str
    price: str
    ts: str
    source: str


# `publish(pipeline, price)`: add the publication of `price` to the writer's Redis pipeline.
Publish = Callable[[object, ReferencePrice], None]


def reference_key(symbol: str) -> str:
    """Redis key of the latest reference price of a symbol (JSON of a ReferencePrice)."""
    return f"md:ref:{symbol}"


def round_to_tick(price: Decimal, tick: Decimal) -> Decimal:
    """The nearest multiple of the tick (at least one tick), written with the tick's places:
    190.514 at tick 0.01 is 190.51."""
    ticks = (price / tick).to_integral_value(rounding=ROUND_HALF_EVEN)
    places = min(8, max(0, -tick.normalize().as_tuple().exponent))
    return (max(ticks, Decimal(1)) * tick).quantize(Decimal(1).scaleb(-places))


class ReferenceWriter:
    def __init__(self, *, instruments: InstrumentSource, redis, publish_interval: float = 0.2,
                 db_interval: float = 1.0, refresh_every: float = 30.0, publish: Publish | None = None,
                 store=store_reference_prices):
        self.instruments_source = instruments
        self.redis = redis
        self.publish_interval, self.db_interval, self.refresh_every = publish_interval, db_interval, refresh_every
        self.publish = publish  # None: Redis and the database only
        self.store = store
        self.instruments: dict[str, InstrumentInfo] = {}
        self.pending: dict[str, Tick] = {}  # latest tick per symbol not yet published
        self.db_due: dict[str, Decimal] = {}  # latest price per symbol not yet in the database
        self.db_price: dict[str, Decimal] = {}
        self.db_written_at: dict[str, float] = {}
        self._db_task: asyncio.Task | None = None
        self.stats = {"offered": 0, "published": 0, "unknown_symbol": 0, "db_writes": 0, "errors": 0}
        self._unknown_logged: set[str] = set()

    async def refresh_instruments(self) -> None:
        infos = await self.instruments_source()
        self.instruments = {info.symbol: info for info in infos}
        for info in infos:
            self.db_price[info.symbol] = info.reference  # what the database holds now

    def offer(self, tick: Tick) -> None:
        self.stats["offered"] += 1
        if self.instruments and tick.symbol not in self.instruments:
            self.stats["unknown_symbol"] += 1
            if tick.symbol not in self._unknown_logged and len(self._unknown_logged) < 1000:
                self._unknown_logged.add(tick.symbol)
                log.info("tick for a symbol that is not an instrument dropped", symbol=tick.symbol, source=tick.source)
            return
        self.pending[tick.symbol] = tick

    async def run(self) -> None:
        """Publish rounds until cancelled; then one last round."""
        next_refresh = 0.0
        try:
            while True:
                if time.monotonic() >= next_refresh:
                    try:
                        await self.refresh_instruments()
                        next_refresh = time.monotonic() + self.refresh_every
                    except Exception as error:
                        self.stats["errors"] += 1
                        next_refresh = time.monotonic() + min(5.0, self.refresh_every)
                        if not outage_logged(log, error, what="instrument list not loaded; retrying"):
                            log.warning("instrument list not loaded; retrying", error=repr(error)[:200])
                await self.flush()
                await asyncio.sleep(self.publish_interval)
        finally:
            if self._db_task is not None:
                await asyncio.gather(self._db_task, return_exceptions=True)

    async def flush(self) -> None:
        if not self.instruments:
            return  # the ticks wait until the tick sizes are known
        batch, self.pending = self.pending, {}
        published = []
        for symbol, tick in batch.items():
            info = self.instruments.get(symbol)
            if info is None:
                self.stats["unknown_symbol"] += 1
                continue
            price = round_to_tick(tick.price, info.tick_size)
            published.append(ReferencePrice(symbol=symbol, price=str(price), ts=tick.ts.isoformat(), source=tick.source))
            self.db_due[symbol] = price
        if published:
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for reference in published:
                        pipe.set(reference_key(reference.symbol), json.dumps(asdict(reference)))
                        if self.publish is not None:
                            self.publish(pipe, reference)
                    await pipe.execute()
                self.stats["published"] += len(published)
            except Exception as error:
                self.stats["errors"] += 1
                if not outage_logged(log, error, what="reference prices not stored in Redis"):
                    log.warning("reference prices not stored in Redis", error=repr(error)[:200])
                for symbol, tick in batch.items():  # retry them next round unless newer ones came
                    self.pending.setdefault(symbol, tick)
        self._schedule_db_write()

    async def drain(self) -> None:
        """On shutdown: publish what is pending and write every due price, interval or not."""
        if not self.instruments and self.pending:
            await self.refresh_instruments()
        if self._db_task is not None:
            await asyncio.gather(self._db_task, return_exceptions=True)
        await self.flush()
        if self._db_task is not None:
            await asyncio.gather(self._db_task, return_exceptions=True)
        self._schedule_db_write(force=True)
        if self._db_task is not None:
            await asyncio.gather(self._db_task, return_exceptions=True)

    def _schedule_db_write(self, *, force: bool = False) -> None:
        if self._db_task is not None and not self._db_task.done():
            return  # one write at a time; what is due now goes in the next one
        now = float("inf") if force else time.monotonic()
        due = {}
        for symbol, price in list(self.db_due.items()):
            if price == self.db_price.get(symbol):
                del self.db_due[symbol]
            elif now - self.db_written_at.get(symbol, 0.0) >= self.db_interval:
                due[symbol] = price
        if due:
            self._db_task = asyncio.create_task(self._write_db(due))

    async def _write_db(self, prices: dict[str, Decimal]) -> None:
        try:
            await in_db_thread(self.store)(prices)
        except Exception as error:
            self.stats["errors"] += 1
            if not outage_logged(log, error, what="reference prices not stored in the database; retrying"):
                log.warning("reference prices not stored in the database; retrying", error=repr(error)[:200])
            return
        now = time.monotonic()
        self.stats["db_writes"] += 1
        for symbol, price in prices.items():
            self.db_price[symbol] = price
            self.db_written_at[symbol] = now
            if self.db_due.get(symbol) == price:
                del self.db_due[symbol]


async def read_reference(redis, symbol: str) -> Decimal | None:
    """The latest reference price the feed stored for a symbol, or None."""
    raw = await redis.get(reference_key(symbol))
    if not raw:
        return None
    try:
        return Decimal(json.loads(raw)["price"])
    except (ValueError, KeyError, TypeError, ArithmeticError):
        return None
