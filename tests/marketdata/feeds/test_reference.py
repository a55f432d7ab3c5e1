"""The reference price writer: Redis, the publication it is given, and Instrument.reference_price."""

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from common.redis import new_async_redis
from marketdata.feeds.reference import ReferenceWriter, read_reference, reference_key, round_to_tick
from marketdata.feeds.store import instruments_from_db
from marketdata.feeds.ticks import make_tick
from marketdata.models import Instrument
from realtime.channels import symbol_channel
from realtime.publish.reference import reference_publish
from tests.factories import make_instrument

pytestmark = pytest.mark.django_db(transaction=True)

TS = datetime(2024, 6, 14, 14, 30, tzinfo=UTC)


@pytest.fixture
def instruments():
    make_instrument("AAPL", reference="190.00")
    make_instrument("BRK.A", reference="600000", tick_size=Decimal("1"), lot_size=Decimal("1"))


@pytest.fixture
async def redis():
    client = new_async_redis()
    for symbol in ("AAPL", "BRK.A", "ZZZZ"):
        await client.delete(reference_key(symbol))
    yield client
    await client.aclose()


def tick(symbol: str, price: str, **kwargs):
    return make_tick(source="test", symbol=symbol, price=price, ts=TS, **kwargs)


def reference_prices() -> dict:
    return dict(Instrument.objects.values_list("symbol", "reference_price"))


@pytest.mark.parametrize("price, tick_size, expected", [
    ("190.514", "0.01", "190.51"), ("190.515", "0.01", "190.52"), ("0.001", "0.01", "0.01"),
    ("12.3456", "0.00500000", "12.345"), ("1234.5", "10", "1230"), ("0.123456789", "0.00000001", "0.12345679"),
])
def test_round_to_tick(price, tick_size, expected):
    assert str(round_to_tick(Decimal(price), Decimal(tick_size))) == expected


async def test_the_latest_price_reaches_redis_the_publication_and_the_database(instruments, redis):
    pubsub = redis.pubsub()
    await pubsub.subscribe(symbol_channel("AAPL"))
    writer = ReferenceWriter(instruments=instruments_from_db, redis=redis, db_interval=0.3, publish=reference_publish)
    await writer.refresh_instruments()
    for price in ("190.10", "190.20", "190.333"):  # conflated: only the latest is published
        writer.offer(tick("AAPL", price))
    writer.offer(tick("ZZZZ", "5"))  # not an instrument
    await writer.flush()

    assert json.loads(await redis.get(reference_key("AAPL"))) == {
        "symbol": "AAPL", "price": "190.33", "ts": "2024-06-14T14:30:00+00:00", "source": "test"}
    assert await read_reference(redis, "AAPL") == Decimal("190.33")
    assert await redis.get(reference_key("ZZZZ")) is None
    assert writer.stats["unknown_symbol"] == 1
    published = None
    for _ in range(100):
        published = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
        if published:
            break
    assert json.loads(published["data"]) == {"type": "md.reference", "symbol": "AAPL", "price": "190.33",
                                             "ts": "2024-06-14T14:30:00+00:00", "source": "test"}
    await pubsub.aclose()
    await writer._db_task
    assert (await sync_to_async(reference_prices)())["AAPL"] == Decimal("190.33")


@pytest.fixture
def clock(monkeypatch):
    """The writer's monotonic clock, moved by the test."""
    from marketdata.feeds import reference

    now = [1000.0]
    monkeypatch.setattr(reference.time, "monotonic", lambda: now[0])
    return now


async def test_the_database_is_written_at_most_once_per_interval_and_only_when_the_price_moved(instruments, redis,
                                                                                              clock):
    writer = ReferenceWriter(instruments=instruments_from_db, redis=redis, db_interval=0.3)
    await writer.refresh_instruments()
    writer.offer(tick("AAPL", "190.00"))  # what the database holds already
    await writer.flush()
    assert writer._db_task is None
    writer.offer(tick("AAPL", "191.00"))
    writer.offer(tick("BRK.A", "600123.4"))
    await writer.flush()
    await writer._db_task
    assert writer.stats["db_writes"] == 1
    writer.offer(tick("AAPL", "192.00"))
    await writer.flush()  # too soon after the last write: waits
    assert writer._db_task.done() and writer.stats["db_writes"] == 1
    prices = await sync_to_async(reference_prices)()
    assert prices == {"AAPL": Decimal("191.00"), "BRK.A": Decimal("600123")}
    clock[0] += 0.35
    await writer.flush()  # no new tick, but the due price goes in now
    await writer._db_task
    assert writer.stats["db_writes"] == 2
    assert (await sync_to_async(reference_prices)())["AAPL"] == Decimal("192.00")
    clock[0] += 0.35
    writer.offer(tick("AAPL", "192.001"))  # rounds to the same tick: nothing to write
    await writer.flush()
    assert writer.stats["db_writes"] == 2 and not writer.db_due


async def test_redis_and_database_trouble_is_retried_not_fatal(instruments, redis):
    failures = []

    def failing_store(prices):
        failures.append(prices)
        raise RuntimeError("database is locked")

    class BrokenRedis:
        def pipeline(self, **kwargs):
            raise ConnectionError("redis down")

    writer = ReferenceWriter(instruments=instruments_from_db, redis=BrokenRedis(), db_interval=0,
                             store=failing_store)
    await writer.refresh_instruments()
    writer.offer(tick("AAPL", "191"))
    await writer.flush()
    await writer._db_task
    assert writer.pending  # kept for the next round
    assert writer.db_due == {"AAPL": Decimal("191.00")}
    writer.redis, writer.store = redis, (lambda prices: None)
    await writer.flush()
    await writer._db_task
    assert await read_reference(redis, "AAPL") == Decimal("191.00")
    assert not writer.db_due and len(failures) == 1 and writer.stats["errors"] == 2


async def test_the_run_loop_publishes_until_cancelled(instruments, redis):
    writer = ReferenceWriter(instruments=instruments_from_db, redis=redis, publish_interval=0.02)
    task = asyncio.create_task(writer.run())
    writer.offer(tick("AAPL", "193.45"))
    for _ in range(200):
        if await read_reference(redis, "AAPL"):
            break
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await read_reference(redis, "AAPL") == Decimal("193.45")
