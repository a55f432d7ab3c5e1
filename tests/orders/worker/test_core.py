"""The engine worker's core in process: bus commands through `EngineCore.handle_batch` into the
real database (settlement) and, through the real publisher, into Redis. No subprocess, so each
rule of the worker is checked in milliseconds."""

import asyncio
import json
from decimal import Decimal as D

import pytest

from common.redis import get_redis, new_async_redis
from orders import audit
from orders.bus import BusCommand, CommandKind
from orders.models import Account, EngineShard, LedgerEntry, Order, Position, Trade
from orders.services import order_cancel, order_place, order_replace
from orders.worker.core import EngineCore
from orders.worker.lease import LeaseLost, shard_fence_set
from realtime.channels import account_channel, book_key, quote_key, symbol_channel
from realtime.messages import MarketData, PrivateMessages, decode
from realtime.publish.engine import EnginePublisher
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    aapl = make_instrument("AAPL")
    buyer = make_trader("buyer", cash="100000.00")
    seller = make_trader("seller", cash="1000.00", positions={aapl: "50"})
    core = EngineCore(shard=0, shards=1)
    core.recover()
    return core, aapl, buyer, seller


def new(order: Order) -> BusCommand:
    return BusCommand(CommandKind.NEW, order.instrument.symbol, order.pk)


def place(account, **fields) -> Order:
    order, created = order_place(account=account, symbol="AAPL", time_in_force=fields.pop("time_in_force", "gtc"),
                                 **fields)
    assert created
    return order


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def test_a_cross_settles_cash_positions_fees_and_ledger_to_the_cent(market):
    core, aapl, buyer, seller = market
    ask = place(seller, side="sell", type="limit", qty=D("10"), limit_price=D("100.50"))
    first = core.handle_batch([new(ask)])
    assert [(u.order.pk, u.event) for u in first.updates] == [(ask.pk, "new")]
    bid = place(buyer, side="buy", type="limit", qty=D("4"), limit_price=D("101.00"))
    result = core.handle_batch([new(bid)])
    assert [(u.order.pk, u.event) for u in result.updates] == [(bid.pk, "new"), (ask.pk, "partial_fill"),
                                                               (bid.pk, "fill")]
    bid, ask = fresh(bid), fresh(ask)
    assert (bid.status, bid.filled_qty, bid.avg_fill_price, bid.reserved_cash) == ("filled", D("4"), D("100.50"), D("0"))
    assert (ask.status, ask.filled_qty) == ("partially_filled", D("4"))
    trade = Trade.objects.get()
    # 4 x 100.50 = 402.00; taker fee 0.0003 -> 0.12 (0.1206 truncated), maker 0.0001 -> 0.04
    assert (trade.price, trade.qty, trade.taker_fee, trade.maker_fee, trade.seq) == (
        D("100.50"), D("4"), D("0.12"), D("0.04"), 4)
    buyer.refresh_from_db(), seller.refresh_from_db()
    assert (buyer.cash, buyer.reserved_cash) == (D("99597.88"), D("0.00"))
    assert (seller.cash, seller.reserved_cash) == (D("1401.96"), D("0.00"))
    house = Account.objects.get(kind="house")
    assert house.cash == D("0.16")
    long, short = Position.objects.get(account=buyer), Position.objects.get(account=seller)
    assert (long.qty, long.reserved_qty, long.avg_price) == (D("4"), D("0"), D("100.50"))
    assert (short.qty, short.reserved_qty, short.realized_pl) == (D("46"), D("6"), D("42.00"))
    assert sorted((e.account_id, e.kind, e.amount) for e in LedgerEntry.objects.filter(trade=trade)) == sorted([
        (buyer.pk, "trade", D("-402.00")), (seller.pk, "trade", D("402.00")), (buyer.pk, "fee", D("-0.12")),
        (seller.pk, "fee", D("-0.04")), (house.pk, "fee", D("0.16"))])
    aapl.refresh_from_db()
    assert (aapl.last_price, aapl.engine_trade_id) == (D("100.50"), 1)
    assert audit.audit_run() == []


def test_a_redelivered_command_changes_nothing(market):
    core, aapl, buyer, seller = market
    ask = place(seller, side="sell", type="limit", qty=D("10"), limit_price=D("100.50"))
    bid = place(buyer, side="buy", type="limit", qty=D("10"), limit_price=D("100.50"))
    core.handle_batch([new(ask), new(bid)])
    assert core.handle_batch([new(ask), new(bid)]).events == []
    restarted = EngineCore(shard=0, shards=1)
    restarted.recover()
    assert restarted.handle_batch([new(ask), new(bid)]).events == []
    assert Trade.objects.count() == 1 and fresh(bid).filled_qty == D("10")
    assert audit.audit_run() == []


def test_cancel_releases_the_reservation_and_replace_re_reserves(market):
    core, aapl, buyer, _ = market
    bid = place(buyer, side="buy", type="limit", qty=D("10"), limit_price=D("99.00"))
    core.handle_batch([new(bid)])
    order_replace(account=buyer, order_id=bid.pk, qty=D("20"), limit_price=D("98.00"))
    buyer.refresh_from_db()
    assert buyer.reserved_cash == D("990.30") + D("1960.59")  # both held while the engine decides
    result = core.handle_batch([BusCommand(CommandKind.REPLACE, "AAPL", bid.pk)])
    assert [u.event for u in result.updates] == ["replaced"]
    bid = fresh(bid)
    buyer.refresh_from_db()
    assert (bid.qty, bid.limit_price, bid.replace_qty, buyer.reserved_cash) == (D("20"), D("98.00"), None, D("1960.59"))
    order_cancel(account=buyer, order_id=bid.pk)
    result = core.handle_batch([BusCommand(CommandKind.CANCEL, "AAPL", bid.pk)])
    assert [u.event for u in result.updates] == ["canceled"]
    buyer.refresh_from_db()
    assert (fresh(bid).status, buyer.reserved_cash) == ("canceled", D("0.00"))
    assert core.engine.open_orders("AAPL") == []
    assert audit.audit_run() == []


def test_an_order_canceled_before_the_engine_saw_it_closes_on_its_new_command(market):
    core, aapl, _, seller = market
    ask = place(seller, side="sell", type="limit", qty=D("5"), limit_price=D("100.00"))
    assert order_cancel(account=seller, order_id=ask.pk).status == "pending_cancel"
    result = core.handle_batch([new(ask)])
    assert [u.event for u in result.updates] == ["canceled"] and result.events == []
    assert (fresh(ask).status, Position.objects.get(account=seller).reserved_qty) == ("canceled", D("0"))
    assert audit.audit_run() == []


def test_commands_for_no_such_order_or_another_shard_do_nothing(market):
    core, aapl, buyer, _ = market
    other_shard = EngineCore(shard=1, shards=2)
    other_shard.recover()
    bid = place(buyer, side="buy", type="limit", qty=D("1"), limit_price=D("99.00"))
    assert core.handle_batch([BusCommand(CommandKind.NEW, "AAPL", 999_999),
                              BusCommand(CommandKind.CANCEL, "NOPE", bid.pk)]).events == []
    holder = core if core.owns("AAPL") else other_shard
    stranger = other_shard if holder is core else core
    assert stranger.handle_batch([new(bid)]).events == []
    assert fresh(bid).status == "accepted"


def test_halt_and_resume_move_the_instrument_and_the_book(market):
    core, aapl, buyer, _ = market
    core.handle_batch([BusCommand(CommandKind.HALT, "AAPL")])
    aapl.refresh_from_db()
    assert aapl.status == "halted" and core.engine.is_halted("AAPL")
    core.handle_batch([BusCommand(CommandKind.RESUME, "AAPL")])
    aapl.refresh_from_db()
    assert aapl.status == "trading" and not core.engine.is_halted("AAPL")


def test_the_publisher_writes_the_book_quote_and_messages_of_a_committed_batch(market):
    core, aapl, buyer, seller = market
    redis = get_redis()
    redis.delete(book_key("AAPL"), quote_key("AAPL"), "md:bookseq:AAPL")
    pubsub = redis.pubsub()
    pubsub.subscribe(symbol_channel("AAPL"), account_channel(buyer.pk), account_channel(seller.pk))
    ask = place(seller, side="sell", type="limit", qty=D("10"), limit_price=D("100.50"))
    bid = place(buyer, side="buy", type="limit", qty=D("4"), limit_price=D("101.00"))
    results = [core.handle_batch([new(ask)]), core.handle_batch([new(bid)])]

    async def publish():
        client = new_async_redis()
        publisher = EnginePublisher(client)
        for result in results:
            await publisher.publish_batch(result)
        await client.aclose()

    asyncio.run(publish())
    assert json.loads(redis.get(book_key("AAPL")))["asks"] == [["100.50", "6"]]
    assert json.loads(redis.get(book_key("AAPL")))["seq"] == 2
    quote = json.loads(redis.get(quote_key("AAPL")))
    assert (quote["bid"], quote["ask"], quote["ask_qty"], quote["last"]) == (None, "100.50", "6", "100.50")
    messages = []
    while (message := pubsub.get_message(timeout=1)) is not None:  # until a second passes without one
        if message["type"] == "message":
            messages.append(decode(message["data"]))
    pubsub.close()
    market_data = [m for m in messages if isinstance(m, MarketData)]
    assert [m.snapshot.seq if m.snapshot else m.book.seq for m in market_data] == [1, 2]
    assert market_data[0].snapshot.asks == [["100.50", "10"]]  # a new publisher starts with a snapshot
    assert market_data[1].book.changes == [["sell", "100.50", "6"]]
    trade_id = Trade.objects.get().pk
    assert [(t["trade_id"], t["price"], t["qty"], t["aggressor_side"]) for t in market_data[1].trades] == [
        (trade_id, "100.50", "4", "buy")]
    private = [(m.account_id, [(seq, json.loads(text)) for seq, text in m.messages]) for m in messages
               if isinstance(m, PrivateMessages)]
    kinds = [(account, [(seq, b["type"], b.get("event")) for seq, b in items]) for account, items in private]
    # Each account's seq grows by one across batches: its order updates, the positions they moved, its account.
    assert kinds == [
        (seller.pk, [(1, "order_update", "new"), (2, "position", None), (3, "account", None)]),
        (buyer.pk, [(1, "order_update", "new"), (2, "order_update", "fill"), (3, "position", None),
                    (4, "account", None)]),
        (seller.pk, [(4, "order_update", "partial_fill"), (5, "position", None), (6, "account", None)])]
    assert all(body["seq"] == seq for _, items in private for seq, body in items)
    fills = [b for _, items in private for _, b in items if "fill" in b]
    assert sorted((f["fill"]["liquidity"], f["fill"]["fee"], f["order"]["filled_qty"]) for f in fills) == [
        ("maker", "0.04", "4"), ("taker", "0.12", "4")]
    # 404.00 paid and 0.12 of fee: the buyer's account and position as REST shows them.
    buyer_account = private[1][1][3][1]
    assert {k: buyer_account[k] for k in ("cash", "reserved_cash", "buying_power")} == {
        "cash": str(D(buyer.cash) - D("402.12")), "reserved_cash": "0.00", "buying_power": str(D(buyer.cash) - D("402.12"))}
    assert private[1][1][2][1] == {"type": "position", "seq": 3, "symbol": "AAPL", "qty": "4", "reserved_qty": "0",
                                   "avg_price": "100.50", "market_price": "100.50", "market_value": "402.00",
                                   "unrealized_pl": "0.00", "realized_pl": "0.00"}


def test_a_grid_changed_while_halted_is_the_engines_at_its_next_batch(market):
    core, aapl, buyer, _ = market
    type(aapl).objects.filter(pk=aapl.pk).update(tick_size=D("0.05"))
    core.recover()
    core.handle_batch([BusCommand(CommandKind.HALT, "AAPL")])
    type(aapl).objects.filter(pk=aapl.pk).update(tick_size=D("0.01"))  # finer: 100.01 was off the old grid
    core.handle_batch([BusCommand(CommandKind.RESUME, "AAPL")])
    bid = place(buyer, side="buy", type="limit", qty=D("1"), limit_price=D("100.01"))
    result = core.handle_batch([new(bid)])
    assert [u.event for u in result.updates] == ["new"]
    assert core.engine.l1("AAPL").bid == 10001 and core.specs["AAPL"].tick_size == D("0.01")


def test_a_batch_of_a_process_that_lost_its_lease_writes_nothing(market):
    core, aapl, buyer, _ = market
    shard_fence_set(shard=0, shards=1, epoch=5, owner="this process")
    core.epoch = 5
    bid = place(buyer, side="buy", type="limit", qty=D("1"), limit_price=D("99.00"))
    shard_fence_set(shard=0, shards=1, epoch=6, owner="the next owner")  # a pause longer than the lease
    with pytest.raises(LeaseLost):
        core.handle_batch([new(bid)])
    assert fresh(bid).status == "accepted"
    shard_fence_set(shard=0, shards=1, epoch=4, owner="an older one")  # epochs only grow
    assert EngineShard.objects.get(shards=1, shard=0).epoch == 6
