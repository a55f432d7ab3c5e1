"""Backoff delays and the supervisor loop every feed runs under."""

import asyncio
import random

import pytest

from marketdata.feeds.base import Backoff, Feed
from marketdata.feeds.ticks import make_tick

from .support import Sink, eventually, fast_backoff, stop


def test_delays_grow_exponentially_with_jitter_up_to_the_cap():
    backoff = Backoff(initial=1, maximum=8, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(7)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8, 8]):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered: no two alike
    backoff.reset()
    assert 0.5 <= backoff.next_delay() <= 1


def test_two_clients_do_not_retry_in_step():
    a, b = Backoff(rng=random.Random(1)), Backoff(rng=random.Random(2))
    assert [a.next_delay() for _ in range(3)] != [b.next_delay() for _ in range(3)]


@pytest.mark.parametrize("kwargs", [{"initial": 0}, {"initial": 2, "maximum": 1}, {"factor": 0.5}])
def test_nonsense_backoff_is_refused(kwargs):
    with pytest.raises(ValueError):
        Backoff(**kwargs)


class FlakyFeed(Feed):
    """Fails in every way a source can, then delivers, then drops, then finishes."""

    kind = "flaky"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.script = [ConnectionRefusedError("down"), OSError("reset"), RuntimeError("bug in a parser"),
                       "deliver_then_drop", "deliver_then_finish"]

    async def session(self) -> bool:
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        self.malformed(b"\x00garbage", "not a tick")
        self.emit(make_tick(source=self.name, symbol="AAPL", price="1"))
        return step == "deliver_then_finish"


async def test_the_supervisor_survives_every_failure_and_stops_when_the_source_is_done():
    sink = Sink()
    feed = FlakyFeed(emit=sink, backoff=fast_backoff())
    await asyncio.wait_for(feed.run(), 5)
    assert len(sink) == 2
    assert feed.stats.sessions == 5
    assert feed.stats.drops == 4
    assert feed.stats.malformed == 2
    assert feed.stats.last_error == "source closed"  # the last drop: a session that returned


async def test_backoff_grows_while_failing_and_resets_after_a_healthy_session():
    attempts = []

    class Down(Feed):
        async def session(self):
            attempts.append(self.backoff.attempt)
            if len(attempts) == 4:
                self.emit(make_tick(source="x", symbol="AAPL", price="1"))
            raise ConnectionError("no")

    feed = Down(emit=Sink(), backoff=Backoff(initial=0.01, maximum=0.02))
    task = asyncio.create_task(feed.run())
    await eventually(lambda: len(attempts) >= 6)
    await stop(task)
    assert attempts[:6] == [0, 1, 2, 3, 1, 2]  # the 4th session delivered a tick: delays start over


async def test_cancelling_stops_the_feed():
    started = asyncio.Event()

    class Forever(Feed):
        async def session(self):
            started.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(Forever(emit=Sink()).run())
    await asyncio.wait_for(started.wait(), 5)
    await stop(task)
    assert task.cancelled()


async def test_a_garbage_flood_is_counted_but_logged_sparingly(caplog):
    feed = Feed(emit=Sink(), log_interval=60)
    for _ in range(1000):
        feed.malformed(b"junk", "bad")
    assert feed.stats.malformed == 1000
    assert sum("malformed feed input" in r.getMessage() for r in caplog.records) <= 1
