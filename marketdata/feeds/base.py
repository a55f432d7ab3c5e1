"""What every feed shares: counters, the malformed-input policy, and the supervisor loop that
reconnects with exponential backoff and jitter.

A feed implements `session()`: connect (or open, or bind), then deliver ticks through
`self.emit` until the source drops, which it signals by returning or raising. `run()` calls
`session()` forever, sleeping a backoff delay between attempts. Malformed input never ends
a session: the feed calls `self.malformed(...)`, which counts it and logs (rate-limited).
"""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from decimal import Decimal

from common import metrics
from common.logging import get_logger
from marketdata.feeds.ticks import MalformedTick, Tick

log = get_logger("marketdata.feeds")


@dataclass(frozen=True)
class InstrumentInfo:
    symbol: str
    tick_size: Decimal
    reference: Decimal | None  # reference price, else last price, else None
    trading: bool = True


InstrumentSource = Callable[[], Awaitable[list[InstrumentInfo]]]
Emit = Callable[[Tick], None]


class Backoff:
    """Delays for reconnecting: exponential growth to a cap, with "equal jitter" (half the
    delay fixed, half random) so that many clients of one source do not retry in step, and
    no delay is ever near zero. `reset()` after a healthy session starts over."""

    def __init__(self, *, initial: float = 0.5, maximum: float = 30.0, factor: float = 2.0,
                 rng: random.Random | None = None):
        if initial <= 0 or maximum < initial or factor < 1:
            raise ValueError("need 0 < initial <= maximum and factor >= 1")
        self.initial, self.maximum, self.factor = initial, maximum, factor
        self.rng = rng or random.Random()
        self.attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.initial * self.factor ** min(self.attempt, 64))
        self.attempt += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class FeedStats:
    sessions: int = 0  # connects / opens / binds that succeeded or were attempted
    drops: int = 0  # sessions that ended (source closed or failed) and were retried
    messages: int = 0  # raw messages, datagrams or rows read
    ticks: int = 0  # ticks emitted
    malformed: int = 0  # inputs refused by the normalizer or the protocol parser
    last_error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class Feed:
    """Base of every feed. Subclasses set `kind` and implement `session()`."""

    kind = "feed"

    def __init__(self, *, emit: Emit, name: str | None = None, backoff: Backoff | None = None,
                 log_interval: float = 5.0):
        self.emit_tick = emit
        self.name = name or self.kind
        self.backoff = backoff or Backoff()
        self.stats = FeedStats()
        self._ticks_metric = metrics.FEED_TICKS.labels(self.name)
        self._malformed_metric = metrics.FEED_MALFORMED.labels(self.name)
        self._reconnects_metric = metrics.FEED_RECONNECTS.labels(self.name)
        self.log_interval = log_interval
        self._next_malformed_log = 0.0
        self._suppressed = 0
        self._session_ticks = 0

    # --- for subclasses ---------------------------------------------------------
    async def session(self) -> bool:
        """Run one connection to the source. Return True when the source is finished for
        good (nothing to reconnect to); return False or raise when it dropped."""
        raise NotImplementedError

    def emit(self, tick: Tick) -> None:
        self.stats.ticks += 1
        self._ticks_metric.inc()
        self._session_ticks += 1
        self.emit_tick(tick)

    def malformed(self, raw: object, error: Exception | str) -> None:
        """Count a refused input and log it, at most once per log_interval (with how many
        were not logged in between), so a garbage flood cannot flood the log too."""
        self.stats.malformed += 1
        self._malformed_metric.inc()
        now = time.monotonic()
        if now < self._next_malformed_log:
            self._suppressed += 1
            return
        self._next_malformed_log = now + self.log_interval
        log.warning("malformed feed input dropped", feed=self.name, reason=str(error)[:200],
                    sample=repr(raw)[:200], malformed_total=self.stats.malformed, not_logged_since_last=self._suppressed)
        self._suppressed = 0

    def emit_or_count(self, build: Callable[[], Tick], raw: object) -> None:
        try:
            tick = build()
        except MalformedTick as error:
            self.malformed(raw, error)
        else:
            self.emit(tick)

    # --- the supervisor ---------------------------------------------------------
    async def run(self) -> None:
        """Run sessions until the source is finished or the task is cancelled; never raises
        for a source failure."""
        while True:
            self.stats.sessions += 1
            self._session_ticks = 0
            try:
                if await self.session():
                    log.info("feed finished", feed=self.name, **self.stats.as_dict())
                    return
                reason = "source closed"
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure of the source is a drop, never the end
                reason = f"{type(error).__name__}: {error}"[:300]
            self.stats.drops += 1
            self._reconnects_metric.inc()
            self.stats.last_error = reason
            if self._session_ticks:
                self.backoff.reset()  # it worked for a while: start the delays over
            delay = self.backoff.next_delay()
            log.warning("feed source dropped; reconnecting", feed=self.name, reason=reason,
                        delay_s=round(delay, 3), attempt=self.backoff.attempt)
            await asyncio.sleep(delay)
