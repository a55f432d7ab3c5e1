"""CSV replay: the shipped sample, pacing at a speed, malformed rows, a missing file."""

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from marketdata.feeds.replay import ReplayFeed
from marketdata.feeds.ticks import Tick

from .support import Sink, eventually, fast_backoff, stop

HEADER = "ts,symbol,price,bid,ask,bid_size,ask_size\n"


def replay(path, **kwargs) -> tuple[ReplayFeed, Sink]:
    sink = Sink()
    return ReplayFeed(path=path, emit=sink, backoff=fast_backoff(), **kwargs), sink


async def test_the_shipped_sample_parses_to_exact_ticks():
    feed, sink = replay(settings.FEED_REPLAY["path"], speed=0, loop=False, restamp=False)
    await asyncio.wait_for(feed.run(), 5)
    assert feed.stats.malformed == 0
    assert len(sink) == 180
    assert {t.symbol for t in sink} == {"AAPL", "MSFT", "GOOGL", "AAL", "TSLA", "SPY"}
    assert sink[0] == Tick(symbol="AAPL", price=Decimal("189.84"), ts=datetime(2024, 6, 14, 14, 30, tzinfo=UTC),
                           source="replay")
    assert sink[1] == Tick(symbol="MSFT", price=Decimal("420.115"), bid=Decimal("420.03"), ask=Decimal("420.20"),
                           bid_size=Decimal(400), ask_size=Decimal(500),
                           ts=datetime(2024, 6, 14, 14, 30, 0, 100000, tzinfo=UTC), source="replay")


async def test_it_plays_at_the_chosen_speed(tmp_path):
    path = tmp_path / "ticks.csv"
    path.write_text(HEADER + "".join(f"2024-06-14T14:30:0{i}Z,AAPL,{100 + i},,,,\n" for i in range(5)))
    feed, sink = replay(path, speed=10, loop=False)  # 4 s recorded -> 0.4 s
    started = time.monotonic()
    await asyncio.wait_for(feed.run(), 5)
    elapsed = time.monotonic() - started
    assert 0.38 <= elapsed < 1.5
    assert [t.price for t in sink] == [Decimal(100 + i) for i in range(5)]
    # restamped to the time each was replayed, evenly spaced like the recording
    gaps = [(b.ts - a.ts).total_seconds() for a, b in zip(sink, sink[1:])]
    assert all(0.05 <= gap <= 0.3 for gap in gaps), gaps


async def test_malformed_rows_are_counted_and_skipped(tmp_path):
    path = tmp_path / "ticks.csv"
    path.write_bytes((HEADER
                      + "2024-06-14T14:30:00Z,AAPL,190.00,,,,\n"
                      + ",AAPL,190.00,,,,\n"  # no ts
                      + "2024-06-14T14:30:00Z,AAPL,abc,,,,\n"
                      + "2024-06-14T14:30:00Z,AAPL,,191,190,,\n"  # crossed
                      + "2024-06-14T14:30:00Z\n"  # too short
                      + "garbage\n"
                      + "2024-06-14T14:30:00Z,\xff\xfe,1,,,,\n").encode("latin-1")
                     + b"2024-06-14T14:30:00Z,AAPL,\x00,,,,\n"
                     + b"2024-06-14T14:30:01Z,AAL,14.01,,,,\n")
    feed, sink = replay(path, speed=0, loop=False)
    await asyncio.wait_for(feed.run(), 5)
    assert [(t.symbol, t.price) for t in sink] == [("AAPL", Decimal("190.00")), ("AAL", Decimal("14.01"))]
    assert feed.stats.malformed == 7
    assert feed.stats.messages == 9


async def test_a_missing_file_is_retried_until_it_appears_and_loop_starts_over(tmp_path):
    path = tmp_path / "later.csv"
    feed, sink = replay(path, speed=0, loop=True)
    task = asyncio.create_task(feed.run())
    await eventually(lambda: feed.stats.drops >= 2, what="retries")
    assert sink == []
    path.write_text(HEADER + "2024-06-14T14:30:00Z,AAPL,190.00,,,,\n2024-06-14T14:30:01Z,AAPL,190.01,,,,\n")
    await eventually(lambda: feed.passes >= 3, what="three passes")
    await stop(task)
    assert [t.price for t in sink[:4]] == [Decimal("190.00"), Decimal("190.01")] * 2
    assert "FileNotFoundError" in feed.stats.last_error


async def test_a_file_without_ticks_is_a_dropped_source_not_a_busy_loop(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text(HEADER)
    feed, sink = replay(path, speed=0)
    task = asyncio.create_task(feed.run())
    await eventually(lambda: feed.stats.drops >= 2)
    await stop(task)
    path.write_text("no,header,here\n1,2,3\n")
    feed, sink = replay(path, speed=0)
    task = asyncio.create_task(feed.run())
    await eventually(lambda: feed.stats.drops >= 1)
    await stop(task)
    assert "header" in feed.stats.last_error
