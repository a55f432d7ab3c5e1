"""The WebSocket protocol through Channels' WebsocketCommunicator: subscriptions, the book
stream and its resync, quotes, auth, private updates, and every bad-message case."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import override_settings
from rest_framework.authtoken.models import Token

from common.redis import get_redis
from orders.services import account_for_user
from orders.services.api_keys import api_key_create
from realtime.channels import book_key, symbol_channel
from realtime.messages import ReferenceQuote
from realtime.protocol import MAX_SUBSCRIPTIONS, RATE_BURST, CloseCode
from tests.factories import make_instrument
from tests.realtime.ws_support import ORIGIN, FakeEngine, apply_book, connect, receive, receive_until, subscribe
from tradeapp.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def instruments():
    return [make_instrument("AAPL"), make_instrument("MSFT")]


@pytest.fixture
async def fake():
    engine = FakeEngine()
    await engine.clear("AAPL", "MSFT")
    yield engine
    await engine.clear("AAPL", "MSFT")
    await engine.close()


@pytest.fixture
def traders():
    out = {}
    for name in ("alice", "bob"):
        user = User.objects.create_user(name)
        out[name] = (user, Token.objects.create(user=user).key, account_for_user(user=user).pk)
    return out


# --- subscriptions -----------------------------------------------------------------------
async def test_subscribe_answers_subscribed_then_the_book_snapshot(instruments, fake):
    await fake.snapshot("AAPL", 7, [["100.00", "5"]], [["100.50", "3"]])
    ws = await connect()
    assert await subscribe(ws, ["book"], ["AAPL"]) == {"type": "subscribed", "channels": ["book"], "symbols": ["AAPL"]}
    assert await receive(ws) == {"type": "book_snapshot", "symbol": "AAPL", "seq": 7,
                                 "bids": [["100.00", "5"]], "asks": [["100.50", "3"]]}
    await ws.disconnect()


async def test_deltas_follow_the_snapshot_gap_free_and_rebuild_the_book(instruments, fake):
    await fake.snapshot("AAPL", 1, [["100.00", "5"]], [])
    ws = await connect()
    await subscribe(ws, ["book"], ["AAPL"])
    book = apply_book({}, await receive(ws))
    for seq in range(2, 30):
        await fake.delta("AAPL", seq, [["buy", f"{90 + seq}.00", str(seq)], ["sell", f"{200 - seq}.00", "1"]])
    while book["seq"] < 29:
        book = apply_book(book, await receive(ws))
    await fake.delta("AAPL", 30, [["buy", "100.00", "0"]])
    book = apply_book(book, await receive(ws))
    expected = apply_book({}, {"type": "book_snapshot", **await _redis_snapshot(fake, "AAPL")})
    assert book == expected and "100.00" not in book["bids"]
    await ws.disconnect()


async def _redis_snapshot(fake, symbol):
    return json.loads(await fake.redis.get(book_key(symbol)))


async def test_a_gap_in_the_stream_gives_a_fresh_snapshot(instruments, fake):
    await fake.snapshot("AAPL", 1, [], [])
    ws = await connect()
    await subscribe(ws, ["book"], ["AAPL"])
    assert (await receive(ws))["seq"] == 1
    await fake.delta("AAPL", 2, [["buy", "99.00", "1"]])
    assert (await receive(ws))["seq"] == 2
    await fake.snapshot_apply("AAPL", 3, [["buy", "98.00", "1"]])  # seq 3 stored, never published
    await fake.delta("AAPL", 4, [["buy", "97.00", "1"]])
    resync = await receive(ws)
    assert resync["type"] == "book_snapshot" and resync["seq"] == 4
    assert resync["bids"] == [["99.00", "1"], ["98.00", "1"], ["97.00", "1"]]
    await fake.delta("AAPL", 5, [["buy", "96.00", "1"]])
    assert (await receive(ws))["seq"] == 5
    await ws.disconnect()


async def test_an_engine_snapshot_resets_every_subscriber(instruments, fake):
    await fake.snapshot("AAPL", 3, [["1.00", "1"]], [])
    ws = await connect()
    await subscribe(ws, ["book"], ["AAPL"])
    await receive(ws)
    await fake.snapshot("AAPL", 4, [["2.00", "2"]], [])
    await fake.publish("AAPL", snapshot={"seq": 4, "bids": [["2.00", "2"]], "asks": []})
    message = await receive(ws)
    assert message == {"type": "book_snapshot", "symbol": "AAPL", "seq": 4, "bids": [["2.00", "2"]], "asks": []}
    await ws.disconnect()


async def test_quotes_trades_and_candles_reach_their_subscribers_only(instruments, fake):
    await fake.quote("AAPL", bid="100.00", bid_qty="1", ask=None, ask_qty=None, last=None, ts="t0")
    quotes, trades = await connect(), await connect()
    await subscribe(quotes, ["quotes", "candles"], ["AAPL"])
    assert await receive(quotes) == {"type": "quote", "symbol": "AAPL", "bid": "100.00", "bid_qty": "1",
                                     "ask": None, "ask_qty": None, "last": None, "ts": "t0"}
    await subscribe(trades, ["trades"], ["AAPL"])
    await fake.publish("AAPL", trades=[{"trade_id": 9, "price": "100.00", "qty": "1", "aggressor_side": "buy",
                                        "ts": "t1"}],
                       quote={"bid": "99.00", "bid_qty": "2", "ask": None, "ask_qty": None, "last": "100.00",
                              "ts": "t1"})
    await fake.publish("AAPL", candles=[{"interval": "1m", "t": "t", "o": "1", "h": "1", "l": "1", "c": "1", "v": "1"}])
    assert (await receive(trades)) == {"type": "trade", "symbol": "AAPL", "trade_id": 9, "price": "100.00", "qty": "1",
                                       "aggressor_side": "buy", "ts": "t1"}
    assert (await receive(quotes))["bid"] == "99.00"
    assert (await receive(quotes))["type"] == "candle"
    assert await trades.receive_nothing(0.2)
    assert await quotes.receive_nothing(0.2)
    await quotes.disconnect()
    await trades.disconnect()


async def test_unsubscribe_stops_the_stream(instruments, fake):
    ws = await connect()
    await subscribe(ws, ["quotes"], ["AAPL", "MSFT"])
    assert await subscribe(ws, ["quotes"], ["AAPL"], action="unsubscribe") == {
        "type": "unsubscribed", "channels": ["quotes"], "symbols": ["AAPL"]}
    await fake.publish("AAPL", quote={"bid": "1.00"})
    await fake.publish("MSFT", quote={"bid": "2.00"})
    assert (await receive(ws))["symbol"] == "MSFT"
    assert await ws.receive_nothing(0.2)
    await ws.disconnect()


# --- auth and private updates ---------------------------------------------------------------
async def test_orders_need_auth(instruments):
    ws = await connect()
    reply = await subscribe(ws, ["orders"])
    assert (reply["type"], reply["code"]) == ("error", "auth_required")
    await ws.disconnect()


async def test_token_in_the_url_and_auth_message_and_session_cookie_authenticate(instruments, traders, client):
    _, alice_token, _ = traders["alice"]
    by_url = await connect(f"/ws/v1/?token={alice_token}")
    assert (await subscribe(by_url, ["orders"]))["type"] == "subscribed"
    by_message = await connect()
    await by_message.send_json_to({"action": "auth", "token": alice_token})
    assert await receive(by_message) == {"type": "authenticated", "username": "alice"}
    await by_message.send_json_to({"action": "auth", "token": alice_token})
    assert (await receive(by_message))["code"] == "already_authenticated"
    assert (await subscribe(by_message, ["orders"]))["type"] == "subscribed"
    bob = await database_sync_to_async(User.objects.get)(username="bob")
    await database_sync_to_async(client.force_login)(bob)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    by_cookie = await connect(headers=[(b"cookie", cookie)])
    assert (await subscribe(by_cookie, ["orders"]))["type"] == "subscribed"
    for ws in (by_url, by_message, by_cookie):
        await ws.disconnect()


async def test_a_bad_token_in_the_url_is_told_and_closed_with_4001(instruments):
    ws = await connect("/ws/v1/?token=nope")
    assert (await receive(ws))["code"] == "auth_failed"
    assert await ws.receive_output(3) == {"type": "websocket.close", "code": CloseCode.AUTH_FAILED}


async def test_a_bad_auth_message_keeps_the_socket_anonymous(instruments):
    ws = await connect()
    for token in ("nope", 42, None, "x" * 500):
        await ws.send_json_to({"action": "auth", "token": token})
        assert (await receive(ws))["code"] == "auth_failed"
    assert (await subscribe(ws, ["orders"]))["code"] == "auth_required"
    await ws.disconnect()


async def test_an_api_key_authenticates_and_a_wrong_one_does_not(instruments, traders):
    alice = await database_sync_to_async(User.objects.get)(username="alice")
    key, secret = await database_sync_to_async(api_key_create)(user=alice, scopes=["read"])
    ws = await connect()
    for wrong in ({"key_id": key.key_id, "secret": secret + "x"}, {"key_id": "PKNOPE", "secret": secret},
                  {"key_id": key.key_id}, {"key_id": 5, "secret": []}):
        await ws.send_json_to({"action": "auth", **wrong})
        assert (await receive(ws))["code"] == "auth_failed"
    await ws.send_json_to({"action": "auth", "key_id": key.key_id, "secret": secret})
    assert await receive(ws) == {"type": "authenticated", "username": "alice"}
    assert (await subscribe(ws, ["orders"]))["type"] == "subscribed"
    await ws.disconnect()


@override_settings(AUTH_FAILURES_PER_ADDRESS=3)
async def test_guessing_on_the_socket_is_locked_out(instruments, traders):
    _, alice_token, _ = traders["alice"]
    redis = get_redis()
    for key in redis.scan_iter("auth:fail:*"):
        redis.delete(key)
    ws = WebsocketCommunicator(application, "/ws/v1/", headers=[ORIGIN])
    ws.scope["client"] = ("10.1.1.1", 40000)
    assert (await ws.connect())[0]
    for _ in range(3):
        await ws.send_json_to({"action": "auth", "token": "nope"})
        assert (await receive(ws))["code"] == "auth_failed"
    await ws.send_json_to({"action": "auth", "token": alice_token})
    assert (await receive(ws))["code"] == "rate_limited"
    await ws.disconnect()
    for key in redis.scan_iter("auth:fail:*"):
        redis.delete(key)


async def test_order_updates_reach_every_socket_of_the_owner_and_no_one_else(instruments, traders, fake):
    _, alice_token, alice_account = traders["alice"]
    _, bob_token, bob_account = traders["bob"]
    alice1, alice2 = await connect(f"/ws/v1/?token={alice_token}"), await connect(f"/ws/v1/?token={alice_token}")
    bob, anonymous = await connect(f"/ws/v1/?token={bob_token}"), await connect()
    for ws in (alice1, alice2, bob):
        await subscribe(ws, ["orders"])
    await subscribe(anonymous, ["quotes", "book", "trades", "candles"], ["AAPL"])
    await receive_until(anonymous, "book_snapshot")
    update = {"event": "new", "order": {"id": 1, "status": "new"}}
    await fake.order_updates(alice_account, [update, {**update, "event": "canceled"}])
    for ws in (alice1, alice2):
        assert await receive(ws) == {"type": "order_update", "seq": 1, **update}
        assert (await receive(ws))["event"] == "canceled"
    assert await bob.receive_nothing(0.3)
    assert await anonymous.receive_nothing(0.1)
    await fake.order_updates(bob_account, [update])
    assert (await receive(bob))["type"] == "order_update"
    await alice2.send_json_to({"action": "unsubscribe", "channels": ["orders"]})
    assert (await receive(alice2))["type"] == "unsubscribed"
    await fake.order_updates(alice_account, [update])
    assert (await receive(alice1))["type"] == "order_update"
    assert await alice2.receive_nothing(0.3)
    for ws in (alice1, alice2, bob, anonymous):
        await ws.disconnect()


# --- heartbeat ------------------------------------------------------------------------------
async def test_heartbeat(instruments):
    with override_settings(WS_HEARTBEAT_SECONDS=0.2):
        ws = await connect()
        message = await receive(ws, timeout=2)
        assert message["type"] == "heartbeat" and message["ts"].endswith("Z")
        await ws.disconnect()


# --- bad messages -----------------------------------------------------------------------------
@pytest.mark.parametrize("message, code", [
    ({"action": "subscribe"}, "bad_message"),
    ({"action": "subscribe", "channels": []}, "bad_message"),
    ({"action": "subscribe", "channels": "quotes", "symbols": ["AAPL"]}, "bad_message"),
    ({"action": "subscribe", "channels": [1], "symbols": ["AAPL"]}, "bad_message"),
    ({"action": "subscribe", "channels": ["quotes"]}, "bad_message"),
    ({"action": "subscribe", "channels": ["quotes"], "symbols": "AAPL"}, "bad_message"),
    ({"action": "subscribe", "channels": ["news"], "symbols": ["AAPL"]}, "unknown_channel"),
    ({"action": "subscribe", "channels": ["quotes"], "symbols": ["NOPE"]}, "unknown_symbol"),
    ({"action": "subscribe", "channels": ["quotes"], "symbols": ["AAPL", "NOPE"]}, "unknown_symbol"),
    ({"action": "subscribe", "channels": ["quotes"], "symbols": ["a b"]}, "unknown_symbol"),
    ({"action": "subscribe", "channels": ["quotes"], "symbols": ["X" * 500]}, "unknown_symbol"),
    ({"action": "subscribe", "channels": ["quotes"], "symbols": [f"S{i}" for i in range(101)]},
     "too_many_subscriptions"),
    ({"action": "unsubscribe", "channels": ["quotes"], "symbols": ["NOPE"]}, "unknown_symbol"),
    ({"action": "auth"}, "auth_failed"),
])
async def test_bad_subscriptions_get_an_error_and_change_nothing(instruments, fake, message, code):
    ws = await connect()
    await ws.send_json_to(message)
    reply = await receive(ws)
    assert (reply["type"], reply["code"]) == ("error", code), reply
    assert reply["message"]
    await fake.publish("AAPL", quote={"bid": "1.00"})
    assert await ws.receive_nothing(0.2)
    await ws.send_json_to({"action": "ping"})
    assert await receive(ws) == {"type": "pong"}
    await ws.disconnect()


async def test_too_many_subscriptions_over_several_messages(instruments):
    symbols = [f"S{i:03d}" for i in range(MAX_SUBSCRIPTIONS // 2 + 1)]
    await database_sync_to_async(lambda: [make_instrument(s) for s in symbols])()
    ws = await connect()
    assert (await subscribe(ws, ["quotes", "trades"], symbols[:-1]))["type"] == "subscribed"
    reply = await subscribe(ws, ["quotes"], symbols[-1:])
    assert reply["code"] == "too_many_subscriptions"
    # Unsubscribing makes room.
    await subscribe(ws, ["trades"], symbols[:1], action="unsubscribe")
    assert (await subscribe(ws, ["quotes"], symbols[-1:]))["type"] == "subscribed"
    await ws.disconnect()


async def test_a_flood_is_refused_then_closed_with_4029(instruments):
    ws = await connect()
    for _ in range(RATE_BURST):
        await ws.send_json_to({"action": "ping"})
    for _ in range(RATE_BURST):
        assert await receive(ws) == {"type": "pong"}
    for _ in range(50):  # the bucket refills at 20/s: a slow machine may be allowed one or two more
        await ws.send_json_to({"action": "ping"})
        reply = await receive(ws)
        if reply["type"] == "error":
            break
    assert reply["code"] == "rate_limited"
    for _ in range(200):
        await ws.send_to(text_data="garbage")
    while (output := await ws.receive_output(3))["type"] == "websocket.send":
        assert '"type":"error"' in output["text"]  # the odd frame the refilling bucket lets through
    assert output == {"type": "websocket.close", "code": CloseCode.FLOOD}


async def test_a_burst_under_the_limit_is_served_after_a_pause(instruments):
    ws = await connect()
    for _ in range(2 * RATE_BURST):
        await ws.send_json_to({"action": "ping"})
    replies = []
    while not await ws.receive_nothing(0.3):
        replies.append(await receive(ws))
    kinds = [r["type"] for r in replies]
    assert kinds[:RATE_BURST] == ["pong"] * RATE_BURST  # the burst is served
    assert "error" in kinds and all(r["code"] == "rate_limited" for r in replies if r["type"] == "error")
    await asyncio.sleep(0.2)
    await ws.send_json_to({"action": "ping"})
    assert await receive(ws) == {"type": "pong"}
    await ws.disconnect()


async def test_a_client_without_origin_is_let_in_and_a_foreign_browser_is_not(instruments):
    bare = WebsocketCommunicator(application, "/ws/v1/")
    assert (await bare.connect())[0]
    await bare.disconnect()
    for origin in (b"http://evil.example", b"null", b"\xff\xfe"):
        browser = WebsocketCommunicator(application, "/ws/v1/", headers=[(b"origin", origin)])
        assert not (await browser.connect())[0]


async def test_reference_prices_of_the_feeds_reach_quote_subscribers(instruments, fake):
    ws = await connect()
    await subscribe(ws, ["quotes"], ["AAPL"])
    for price in ("190.50", "190.51"):
        await fake.redis.publish(symbol_channel("AAPL"),
                                 ReferenceQuote(symbol="AAPL", price=price, ts="t", source="simulated").encode())
    message = await receive(ws)
    if message["price"] == "190.50":  # conflated: the older one may or may not have been written yet
        message = await receive(ws)
    assert message == {"type": "reference", "symbol": "AAPL", "price": "190.51", "ts": "t", "source": "simulated"}
    await ws.disconnect()
