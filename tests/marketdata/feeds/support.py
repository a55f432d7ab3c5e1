"""Helpers for the feed tests: a collecting sink, fast backoff, and waiting inside a loop."""

import asyncio
import time
from decimal import Decimal

from marketdata.feeds.base import Backoff, InstrumentInfo

INSTRUMENTS = [
    InstrumentInfo(symbol="AAPL", tick_size=Decimal("0.01"), reference=Decimal("190.00")),
    InstrumentInfo(symbol="AAL", tick_size=Decimal("0.01"), reference=Decimal("14.00")),
    InstrumentInfo(symbol="BRK.A", tick_size=Decimal("1"), reference=None),
]


def fast_backoff(seed: int = 1) -> Backoff:
    import random

    return Backoff(initial=0.05, maximum=0.2, rng=random.Random(seed))


class Sink(list):
    """Collects what a feed emits."""

    def __call__(self, tick) -> None:
        self.append(tick)


async def static_instruments():
    return list(INSTRUMENTS)


async def eventually(predicate, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
