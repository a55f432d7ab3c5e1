"""Simulated feed: a random walk per instrument, the default of `make run`.

Each step moves every symbol's log price by a normal draw (`volatility_bps` per step) plus a
gentle pull back toward where it started (`reversion`), so a demo left running for days
stays near its seed prices. Prices are rounded to the instrument's tick.
"""

import asyncio
import math
import random
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from marketdata.feeds.base import Feed, InstrumentInfo, InstrumentSource
from marketdata.feeds.ticks import make_tick

DEFAULT_START = Decimal("100")


def to_tick(value: float, tick: Decimal) -> Decimal:
    ticks = (Decimal(repr(value)) / tick).to_integral_value(rounding=ROUND_HALF_EVEN)
    return max(ticks, Decimal(1)) * tick


class SimulatedFeed(Feed):
    kind = "simulated"

    def __init__(self, *, instruments: InstrumentSource, interval: float = 1.0, volatility_bps: float = 5.0,
                 reversion: float = 0.002, seed: int | None = None, refresh_every: float = 30.0,
                 symbols: list[str] | None = None, **kwargs):
        super().__init__(**kwargs)
        if interval <= 0 or volatility_bps < 0 or not 0 <= reversion < 1:
            raise ValueError("need interval > 0, volatility_bps >= 0 and 0 <= reversion < 1")
        self.instruments = instruments
        self.interval, self.sigma, self.reversion = interval, volatility_bps / 10_000, reversion
        self.rng = random.Random(seed)
        self.refresh_every = refresh_every
        self.symbols = set(symbols) if symbols else None
        # symbol -> [tick, anchor log price, current log price]; kept across sessions.
        self.walks: dict[str, list] = {}

    def _adopt(self, infos: list[InstrumentInfo]) -> None:
        for info in infos:
            if self.symbols is not None and info.symbol not in self.symbols:
                continue
            if info.symbol in self.walks:
                self.walks[info.symbol][0] = info.tick_size
                continue
            start = math.log(float(info.reference or DEFAULT_START))
            self.walks[info.symbol] = [info.tick_size, start, start]

    def step(self) -> None:
        now = datetime.now(UTC)
        for symbol, walk in self.walks.items():
            tick, anchor, current = walk
            current += self.reversion * (anchor - current) + self.sigma * self.rng.gauss(0.0, 1.0)
            walk[2] = current
            self.stats.messages += 1
            price = to_tick(math.exp(current), tick)
            self.emit_or_count(lambda: make_tick(source=self.name, symbol=symbol, price=price, ts=now), symbol)

    async def session(self) -> bool:
        self._adopt(await self.instruments())
        loop = asyncio.get_running_loop()
        next_refresh = loop.time() + self.refresh_every
        while True:
            self.step()
            await asyncio.sleep(self.interval)
            if loop.time() >= next_refresh:
                next_refresh = loop.time() + self.refresh_every
                self._adopt(await self.instruments())
