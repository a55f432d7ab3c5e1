"""`run_analytics` against a real engine: the figures it serves equal a plain recomputation from
the stored trades (VWAP to the cent and beyond, exactly), after a SIGKILL and restart too; alerts
fire once each, to their owner only, over REST history and the WebSocket."""

import asyncio
import random
from decimal import Decimal as D

import pytest
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from analytics.models import AlertTrigger
from orders.models import Order, Trade
from orders.services import order_place
from tests.analytics.recompute import T, assert_matches, recompute
from tests.factories import make_instrument, make_trader
from tests.processes import wait_for
from tests.realtime.ws_support import connect, receive, subscribe

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def client(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def latest() -> dict | None:
    response = APIClient().get("/api/v1/marketdata/AAPL/analytics/")
    assert response.status_code == 200, response.content
    return response.json()["latest"]


def stored_trades() -> list[T]:
    return [T(t.price, t.qty, t.aggressor_side, t.created_at) for t in Trade.objects.order_by("id")]


def settled() -> bool:
    return not Order.objects.filter(status__in=("accepted", "pending_cancel")).exists()


def caught_up() -> bool:
    values = latest()
    return values is not None and values["session_trades"] == Trade.objects.count()


def place_crossing(buyer, seller, rng: random.Random, n: int) -> None:
    for _ in range(n):
        price = D(rng.randint(9990, 10010)) / 100
        qty = D(rng.randint(1, 9))
        order_place(account=seller, symbol="AAPL", side="sell", type="limit", qty=qty, limit_price=price)
        order_place(account=buyer, symbol="AAPL", side="buy", type="limit", qty=qty, limit_price=price,
                    time_in_force="ioc")


@pytest.fixture
def market(engine, analytics_process):
    aapl = make_instrument("AAPL")
    buyer = make_trader("buyer", cash="10000000.00")
    seller = make_trader("seller", cash="1000.00", positions={aapl: "100000"})
    tokens = {a.user.username: Token.objects.create(user=a.user).key for a in (buyer, seller)}
    return buyer, seller, tokens


async def test_figures_and_alerts_through_a_restart(market, analytics_process):
    buyer, seller, tokens = market
    process = analytics_process("--count", "3")
    process.start()
    api = await database_sync_to_async(lambda: client(tokens["buyer"]))()
    post = database_sync_to_async(lambda body: api.post("/api/v1/alerts/", body, format="json"))
    above = await post({"kind": "price_above", "symbol": "AAPL", "threshold": "100.05"})
    assert above.status_code == 201, above.content
    fills = await post({"kind": "fill", "symbol": "AAPL"})
    assert fills.status_code == 201, fills.content
    seller_api = await database_sync_to_async(lambda: client(tokens["seller"]))()
    never = await database_sync_to_async(lambda: seller_api.post(
        "/api/v1/alerts/", {"kind": "price_below", "symbol": "AAPL", "threshold": "50"}, format="json"))()
    assert never.status_code == 201

    buyer_ws = await connect(f"/ws/v1/?token={tokens['buyer']}")
    seller_ws = await connect(f"/ws/v1/?token={tokens['seller']}")
    assert (await subscribe(buyer_ws, ["orders", "analytics"], ["AAPL"]))["type"] == "subscribed"
    assert (await subscribe(seller_ws, ["orders"]))["type"] == "subscribed"

    rng = random.Random(7)
    await database_sync_to_async(place_crossing)(buyer, seller, rng, 30)
    await asyncio.to_thread(wait_for, lambda: settled(), 60, "orders settled")
    await asyncio.to_thread(wait_for, caught_up, 60, "analytics caught up")
    assert_matches(await database_sync_to_async(latest)(), recompute(await database_sync_to_async(stored_trades)()))

    # SIGKILL in the middle of a stream: orders keep trading while it is down, then it catches up.
    await database_sync_to_async(place_crossing)(buyer, seller, rng, 10)
    process.kill()
    await database_sync_to_async(place_crossing)(buyer, seller, rng, 20)
    await asyncio.to_thread(wait_for, lambda: settled(), 60, "orders settled")
    process.start()
    await asyncio.to_thread(wait_for, caught_up, 60, "analytics caught up after the restart")
    trades = await database_sync_to_async(stored_trades)()
    assert_matches(await database_sync_to_async(latest)(), recompute(trades))
    history = (await database_sync_to_async(lambda: APIClient().get("/api/v1/marketdata/AAPL/analytics/"))()).json()
    assert sum(row["trades"] for row in history["history"]) == len(trades)
    assert D(history["history"][-1]["session_vwap"]) == recompute(trades)["session_vwap"]

    # Alerts: the price alert once, the fill alert once per fill of the buyer; nothing to the seller.
    n_fills = len(trades)  # every trade has the buyer on one side
    await asyncio.to_thread(wait_for, lambda: AlertTrigger.objects.count() >= 1 + n_fills, 30, "triggers stored")
    by_alert = await database_sync_to_async(lambda: {
        a: AlertTrigger.objects.filter(alert_id=a).count() for a in (above.json()["id"], fills.json()["id"],
                                                                     never.json()["id"])})()
    assert by_alert == {above.json()["id"]: 1, fills.json()["id"]: n_fills, never.json()["id"]: 0}
    assert (await database_sync_to_async(lambda: api.get(f"/api/v1/alerts/{above.json()['id']}/"))()).json()[
        "status"] == "triggered"
    pushed = []
    while not await buyer_ws.receive_nothing(0.5):
        message = await receive(buyer_ws)
        if message["type"] == "alert":
            pushed.append(message)
    # What fired while the buyer's socket was there (all of it: the socket never left).
    assert len([m for m in pushed if m["alert_id"] == above.json()["id"]]) == 1
    assert len({m["trade_id"] for m in pushed if m["alert_id"] == fills.json()["id"]}) == n_fills
    while not await seller_ws.receive_nothing(0.3):
        assert (await receive(seller_ws))["type"] != "alert"
    for ws in (buyer_ws, seller_ws):
        await ws.disconnect()
