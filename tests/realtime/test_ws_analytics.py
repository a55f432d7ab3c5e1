"""The `analytics` channel and `alert` pushes through the hub (WebsocketCommunicator): the latest
figures on subscribe and as they change (conflated), alerts only to their owner's private
subscribers."""

import json

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from common.redis import new_async_redis
from orders.services import account_for_user
from realtime.channels import account_channel, analytics_key, symbol_channel
from realtime.messages import AlertTriggered, AnalyticsUpdate
from tests.factories import make_instrument
from tests.realtime.ws_support import connect, receive, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def redis():
    client = new_async_redis()
    await client.delete(analytics_key("AAPL"))
    yield client
    await client.delete(analytics_key("AAPL"))
    await client.aclose()


@pytest.fixture
def traders():
    make_instrument("AAPL")
    out = {}
    for name in ("alice", "bob"):
        user = User.objects.create_user(name)
        out[name] = (Token.objects.create(user=user).key, account_for_user(user=user).pk)
    return out


async def test_analytics_latest_on_subscribe_then_updates(redis, traders):
    await redis.set(analytics_key("AAPL"), json.dumps({"session_vwap": "100.25", "last": "100.30"}))
    ws = await connect()
    assert await subscribe(ws, ["analytics"], ["AAPL"]) == {"type": "subscribed", "channels": ["analytics"],
                                                             "symbols": ["AAPL"]}
    assert await receive(ws) == {"type": "analytics", "symbol": "AAPL",
                                 "values": {"session_vwap": "100.25", "last": "100.30"}}
    await redis.publish(symbol_channel("AAPL"), AnalyticsUpdate(symbol="AAPL", values={"session_vwap": "100.5"}).encode())
    assert await receive(ws) == {"type": "analytics", "symbol": "AAPL", "values": {"session_vwap": "100.5"}}
    await subscribe(ws, ["analytics"], ["AAPL"], action="unsubscribe")
    await redis.publish(symbol_channel("AAPL"), AnalyticsUpdate(symbol="AAPL", values={"session_vwap": "1"}).encode())
    assert await ws.receive_nothing(0.3)
    await ws.disconnect()


async def test_unknown_symbol_on_the_analytics_channel_is_an_error(traders):
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "channels": ["analytics"], "symbols": ["NOPE"]})
    message = await receive(ws)
    assert (message["type"], message["code"]) == ("error", "unknown_symbol")
    await ws.disconnect()


async def test_an_alert_goes_to_its_owners_private_subscribers_only(redis, traders):
    (alice_token, alice_id), (bob_token, _) = traders["alice"], traders["bob"]
    alice, bob, anonymous = (await connect(f"/ws/v1/?token={alice_token}"), await connect(f"/ws/v1/?token={bob_token}"),
                             await connect())
    for ws in (alice, bob):
        assert (await subscribe(ws, ["orders"]))["type"] == "subscribed"
    assert (await subscribe(anonymous, ["analytics"], ["AAPL"]))["type"] == "subscribed"
    body = {"id": 7, "alert_id": 3, "kind": "price_above", "symbol": "AAPL", "message": "AAPL traded at 101.00",
            "price": "101.00", "trade_id": 11, "ts": "2026-12-02T10:00:00Z"}
    await redis.publish(account_channel(alice_id), AlertTriggered(account_id=alice_id, alert=body).encode())
    assert await receive(alice) == {"type": "alert", **body}
    assert await bob.receive_nothing(0.3) and await anonymous.receive_nothing(0.1)
    for ws in (alice, bob, anonymous):
        await ws.disconnect()
