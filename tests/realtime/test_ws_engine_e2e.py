"""The stream against a real engine process: snapshot then gap-free deltas under a burst of
orders, ending at exactly the engine's book (REST and the open orders in the database agree);
trades, quotes, candles; order updates only to their owner."""

import asyncio
import random
from collections import defaultdict
from decimal import Decimal as D

import pytest
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from common.errors import ServiceError
from orders.models import Order, Trade
from orders.services import order_cancel, order_place
from tests.factories import make_instrument, make_trader
from tests.realtime.ws_support import apply_book, connect, receive, subscribe

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def open_book(symbol: str) -> dict:
    """The truth: open orders resting in the database, by side and price."""
    levels = {"bids": defaultdict(D), "asks": defaultdict(D)}
    for order in Order.objects.filter(instrument__symbol=symbol, status__in=("new", "partially_filled", "pending_cancel"),
                                      engine_at__isnull=False, type="limit"):
        levels["bids" if order.side == "buy" else "asks"][order.limit_price] += order.qty - order.filled_qty
    return {side: {p: q for p, q in by_price.items() if q} for side, by_price in levels.items()}


def as_decimals(book: dict) -> dict:
    return {side: {D(p): D(q) for p, q in book[side].items()} for side in ("bids", "asks")}


def rest(path: str):
    response = APIClient().get(path)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def market(engine):
    aapl = make_instrument("AAPL")
    buyer = make_trader("buyer", cash="10000000.00")
    seller = make_trader("seller", cash="1000.00", positions={aapl: "100000"})
    tokens = {a.user.username: Token.objects.create(user=a.user).key for a in (buyer, seller)}
    return aapl, buyer, seller, tokens


async def test_a_burst_streams_gap_free_and_ends_at_the_engines_book(market):
    aapl, buyer, seller, tokens = market
    watcher = await connect()
    await subscribe(watcher, ["book", "quotes", "trades", "candles"], ["AAPL"])
    book = apply_book({}, await receive(watcher, timeout=10))
    buyer_ws = await connect(f"/ws/v1/?token={tokens['buyer']}")
    seller_ws = await connect(f"/ws/v1/?token={tokens['seller']}")
    for ws in (buyer_ws, seller_ws):
        assert (await subscribe(ws, ["orders"]))["type"] == "subscribed"

    rng = random.Random(5)
    place = database_sync_to_async(order_place)
    orders = []
    for i in range(150):
        side = rng.choice(("buy", "sell"))
        price = D(rng.randint(9900, 10100)) / 100
        order, _ = await place(account=buyer if side == "buy" else seller, symbol="AAPL", side=side, type="limit",
                               qty=D(rng.randint(1, 20)), limit_price=price)
        orders.append(order)
        if i % 10 == 9:
            try:
                await database_sync_to_async(order_cancel)(account=orders[i - 5].account, order_id=orders[i - 5].pk)
            except ServiceError:
                pass  # already filled
        if i % 25 == 0:
            await asyncio.sleep(0.02)

    def all_settled():
        return not Order.objects.filter(status__in=("accepted", "pending_cancel")).exists()

    for _ in range(400):
        if await database_sync_to_async(all_settled)():
            break
        await asyncio.sleep(0.05)
    assert await database_sync_to_async(all_settled)()
    final = await database_sync_to_async(rest)("/api/v1/marketdata/AAPL/book/?depth=1000")

    kinds = defaultdict(int)
    last_quote = None
    trade_ids = []
    while book["seq"] < final["seq"]:
        message = await receive(watcher, timeout=10)
        kinds[message["type"]] += 1
        if message["type"] in ("book_delta", "book_snapshot"):
            book = apply_book(book, message)  # asserts seq is exactly one more
        elif message["type"] == "quote":
            last_quote = message
        elif message["type"] == "trade":
            trade_ids.append(message["trade_id"])
    # One snapshot at most: the engine publishes each book whole once after it starts.
    assert kinds["book_snapshot"] <= 1 and kinds["book_delta"] > 10
    client_book = {"bids": book["bids"], "asks": book["asks"]}
    assert as_decimals(client_book) == as_decimals({s: dict(final[s]) for s in ("bids", "asks")})
    assert as_decimals(client_book) == await database_sync_to_async(open_book)("AAPL")

    # Trades on the tape and in the stream; candles stored and pushed; the latest quote.
    trades = await database_sync_to_async(lambda: list(Trade.objects.order_by("id")))()
    assert trades
    while kinds["trade"] < len(trades) or kinds["candle"] == 0 or not await watcher.receive_nothing(0.5):
        message = await receive(watcher, timeout=10)
        kinds[message["type"]] += 1
        if message["type"] == "quote":
            last_quote = message
        elif message["type"] == "trade":
            trade_ids.append(message["trade_id"])
    assert trade_ids == [t.pk for t in trades]  # every trade once, in order, with its REST id
    quotes = await database_sync_to_async(rest)("/api/v1/marketdata/quotes/?symbols=AAPL")
    if last_quote is not None:
        assert {k: last_quote[k] for k in ("bid", "ask")} == {k: quotes[0][k] for k in ("bid", "ask")}
    # Candles are folded on the engine's timer (CANDLE_PERIOD): the last trades reach them within it.
    volume = sum(t.qty for t in trades)
    for _ in range(50):
        candles = await database_sync_to_async(rest)("/api/v1/marketdata/AAPL/candles/?interval=1h")
        if sum(D(c["v"]) for c in candles) == volume:
            break
        await asyncio.sleep(0.1)
    assert sum(D(c["v"]) for c in candles) == volume
    assert D(candles[-1]["c"]) == trades[-1].price

    # Private updates: each owner got updates of its own orders only.
    own = {"buyer": {o.pk for o in orders if o.side == "buy"}, "seller": {o.pk for o in orders if o.side == "sell"}}
    for name, ws in (("buyer", buyer_ws), ("seller", seller_ws)):
        seen = set()
        while not await ws.receive_nothing(0.3):
            message = await receive(ws)
            if message["type"] in ("account", "position"):  # pushed beside the order updates
                continue
            assert message["type"] == "order_update"
            seen.add(message["order"]["id"])
        assert seen and seen <= own[name]
    for ws in (watcher, buyer_ws, seller_ws):
        await ws.disconnect()


async def test_the_book_sequence_survives_an_engine_restart(market, engine):
    aapl, buyer, seller, tokens = market
    watcher = await connect()
    await subscribe(watcher, ["book"], ["AAPL"])
    book = apply_book({}, await receive(watcher, timeout=10))
    place = database_sync_to_async(order_place)

    async def rest_seq_after(price: str) -> int:
        await place(account=buyer, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D(price))
        for _ in range(200):
            if not await database_sync_to_async(Order.objects.filter(status="accepted").exists)():
                break
            await asyncio.sleep(0.05)
        return (await database_sync_to_async(rest)("/api/v1/marketdata/AAPL/book/"))["seq"]

    first = await rest_seq_after("99.00")
    await asyncio.to_thread(lambda: (engine.stop(), engine.start()))
    second = await rest_seq_after("98.00")
    assert second > first
    while book["seq"] < second:
        book = apply_book(book, await receive(watcher, timeout=10))
    assert book["bids"] == {"99.00": "1", "98.00": "1"}
    await watcher.disconnect()

