"""The engine's publisher appends each committed batch, whole, to the engine stream: the symbols'
trades and tops of book and every fill with its account, in one typed entry (EngineBatch)."""

import asyncio
from decimal import Decimal as D

import pytest

from common.redis import get_redis, new_async_redis
from orders.bus import BusCommand, CommandKind
from orders.models import Trade
from orders.services import order_place
from orders.worker.core import EngineCore
from realtime.channels import engine_stream_key
from realtime.messages import EngineBatch, MalformedMessage
from realtime.publish.engine import EnginePublisher
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


def publish(results, **options) -> None:
    async def run():
        client = new_async_redis()
        publisher = EnginePublisher(client, **options)
        for result in results:
            await publisher.publish_batch(result)
        await client.aclose()

    asyncio.run(run())


def batch_of(core, account, **fields):
    order, _ = order_place(account=account, symbol="AAPL", time_in_force="gtc", **fields)
    return core.handle_batch([BusCommand(CommandKind.NEW, "AAPL", order.pk)]), order


def test_each_committed_batch_is_one_stream_entry():
    aapl = make_instrument("AAPL")
    buyer = make_trader("buyer", cash="100000.00")
    seller = make_trader("seller", cash="1000.00", positions={aapl: "50"})
    core = EngineCore(shard=0, shards=1)
    core.recover()
    redis = get_redis()
    redis.delete(engine_stream_key())
    first, ask = batch_of(core, seller, side="sell", type="limit", qty=D("10"), limit_price=D("100.50"))
    second, bid = batch_of(core, buyer, side="buy", type="limit", qty=D("4"), limit_price=D("101.00"))
    publish([first, second])
    entries = redis.xrange(engine_stream_key())
    assert len(entries) == 2
    resting, crossing = (EngineBatch.decode(fields[b"m"]) for _, fields in entries)
    assert resting.symbols["AAPL"]["trades"] == [] and resting.fills == []
    assert resting.symbols["AAPL"]["quote"]["ask"] == "100.50" and resting.lag_ms is not None
    trade = Trade.objects.get()
    assert crossing.symbols["AAPL"]["trades"] == [{"trade_id": trade.pk, "price": "100.50", "qty": "4",
                                                  "aggressor_side": "buy", "ts": crossing.symbols["AAPL"]["trades"][0]["ts"],
                                                  "dark": False}]
    assert (crossing.symbols["AAPL"]["quote"]["ask"], crossing.symbols["AAPL"]["quote"]["ask_qty"]) == ("100.50", "6")
    assert sorted((f["account_id"], f["order_id"], f["side"], f["liquidity"], f["qty"], f["price"], f["fee"])
                  for f in crossing.fills) == sorted([
        (buyer.pk, bid.pk, "buy", "taker", "4", "100.50", "0.12"), (seller.pk, ask.pk, "sell", "maker", "4", "100.50", "0.04")])


def test_the_stream_can_be_turned_off():
    aapl = make_instrument("AAPL")
    seller = make_trader("seller", cash="1000.00", positions={aapl: "50"})
    core = EngineCore(shard=0, shards=1)
    core.recover()
    redis = get_redis()
    redis.delete(engine_stream_key())
    result, _ = batch_of(core, seller, side="sell", type="limit", qty=D("1"), limit_price=D("100.50"))
    publish([result], stream=False)
    assert redis.xlen(engine_stream_key()) == 0
    results = [batch_of(core, seller, side="sell", type="limit", qty=D("1"), limit_price=D("100.50"))[0]
               for _ in range(3)]
    publish(results)
    assert redis.xlen(engine_stream_key()) == 3


@pytest.mark.parametrize("raw", [b"", b"[]", b'{"type": "md.update"}', b'{"type": "engine.batch", "ts": "x"}',
                                 b'{"type": "engine.batch", "ts": "x", "symbols": {"A": 1}}', b"\xff"])
def test_a_malformed_entry_is_refused(raw):
    with pytest.raises(MalformedMessage):
        EngineBatch.decode(raw)
