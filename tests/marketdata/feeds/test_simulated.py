"""The simulated random walk."""

import asyncio
from decimal import Decimal

from marketdata.feeds.simulated import SimulatedFeed

from .support import Sink, eventually, fast_backoff, static_instruments, stop


def walk(seed=3, **kwargs) -> tuple[SimulatedFeed, Sink]:
    sink = Sink()
    feed = SimulatedFeed(instruments=static_instruments, emit=sink, seed=seed, backoff=fast_backoff(), **kwargs)
    return feed, sink


async def test_every_instrument_walks_on_its_tick_grid_from_its_reference():
    feed, sink = walk(interval=0.01, volatility_bps=20)
    task = asyncio.create_task(feed.run())
    await eventually(lambda: len(sink) >= 300)
    await stop(task)
    by_symbol = {}
    for tick in sink:
        by_symbol.setdefault(tick.symbol, []).append(tick.price)
    assert set(by_symbol) == {"AAPL", "AAL", "BRK.A"}
    assert all(p % Decimal("0.01") == 0 for p in by_symbol["AAPL"] + by_symbol["AAL"])
    assert all(p % 1 == 0 and p >= 1 for p in by_symbol["BRK.A"])  # no reference: starts at 100
    assert abs(by_symbol["AAPL"][0] - Decimal("190")) < 1
    assert abs(by_symbol["BRK.A"][0] - 100) <= 2
    assert len(set(by_symbol["AAPL"])) > 10  # it moves
    assert feed.stats.malformed == 0 and feed.stats.ticks == len(sink)


def test_the_same_seed_walks_the_same_way():
    prices = []
    for _ in range(2):
        feed, sink = walk(seed=11)
        feed._adopt([i for i in asyncio.run(static_instruments())])
        for _ in range(50):
            feed.step()
        prices.append([t.price for t in sink])
    assert prices[0] == prices[1]


def test_reversion_keeps_a_long_walk_near_its_start():
    feed, sink = walk(volatility_bps=10, reversion=0.05)
    feed._adopt(asyncio.run(static_instruments()))
    for _ in range(5000):
        feed.step()
    last = [t.price for t in sink if t.symbol == "AAPL"][-1]
    assert Decimal("170") < last < Decimal("210")


async def test_symbols_limit_the_walk_and_a_failing_instrument_source_is_retried():
    calls = []

    async def flaky_instruments():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("database unavailable")
        return await static_instruments()

    sink = Sink()
    feed = SimulatedFeed(instruments=flaky_instruments, emit=sink, interval=0.01, symbols=["AAL"],
                         backoff=fast_backoff())
    task = asyncio.create_task(feed.run())
    await eventually(lambda: len(sink) >= 5)
    await stop(task)
    assert {t.symbol for t in sink} == {"AAL"}
    assert feed.stats.drops == 2
