"""Order entry on /ws/v1/ through Channels' WebsocketCommunicator: place, cancel, replace and
cancel_all with REST's services and codes, answers in request order, credentials, bad input,
floods, and the database thread's one kept connection."""

import json
from decimal import Decimal as D

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test import override_settings
from rest_framework.authtoken.models import Token

from orders.models import Account, Order
from orders.services.api_keys import api_key_create
from realtime.entry import entry_threads
from realtime.entry import session
from realtime.protocol import CloseCode
from tests.factories import make_instrument, make_trader
from tests.realtime.ws_support import connect, receive

pytestmark = pytest.mark.django_db(transaction=True)

BUY = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": "10", "limit_price": "100.00", "time_in_force": "gtc"}


@pytest.fixture
def traders():
    aapl = make_instrument("AAPL")
    make_instrument("MSFT")
    alice = make_trader("alice", cash="100000.00", positions={aapl: "50"})
    bob = make_trader("bob", cash="100000.00")
    return {a.user.username: (a, Token.objects.create(user=a.user).key) for a in (alice, bob)}


async def trading_socket(token: str):
    return await connect(f"/ws/v1/?token={token}")


async def ask(ws, message: dict) -> dict:
    await ws.send_json_to(message)
    return await receive(ws, timeout=10)


def reserved_cash(account: Account) -> D:
    return Account.objects.get(pk=account.pk).reserved_cash


async def test_place_cancel_replace_and_cancel_all_answer_as_rest_would(traders):
    alice, token = traders["alice"]
    ws = await trading_socket(token)
    placed = await ask(ws, {"action": "place", "id": "p1", "order": {**BUY, "client_order_id": "c-1"}})
    assert placed["type"] == "ack" and placed["id"] == "p1" and placed["status"] == 201
    order = placed["order"]
    assert (order["symbol"], order["side"], order["qty"], order["limit_price"], order["status"],
            order["client_order_id"]) == ("AAPL", "buy", "10", "100.00", "accepted", "c-1")
    stored = await database_sync_to_async(Order.objects.get)(pk=order["id"])
    assert (stored.account_id, stored.qty, stored.limit_price) == (alice.pk, D("10"), D("100.00"))
    # 10 x 100.00 plus the taker fee at 0.0003: 1000.30 reserved.
    assert await database_sync_to_async(reserved_cash)(alice) == D("1000.30")

    again = await ask(ws, {"action": "place", "id": 7, "order": {**BUY, "client_order_id": "c-1"}})
    assert (again["type"], again["id"], again["status"], again["order"]["id"]) == ("ack", 7, 200, order["id"])

    replaced = await ask(ws, {"action": "replace", "id": "r1", "order_id": order["id"], "qty": "12"})
    assert (replaced["type"], replaced["status"], replaced["order"]["id"]) == ("ack", 202, order["id"])
    stored = await database_sync_to_async(Order.objects.get)(pk=order["id"])
    assert stored.replace_qty == D("12")

    canceled = await ask(ws, {"action": "cancel", "id": "x1", "order_id": str(order["id"])})
    assert (canceled["type"], canceled["status"], canceled["order"]["status"]) == ("ack", 202, "pending_cancel")

    second = await ask(ws, {"action": "place", "id": "p2", "order": {**BUY, "symbol": "MSFT"}})
    third = await ask(ws, {"action": "place", "id": "p3", "order": BUY})
    all_msft = await ask(ws, {"action": "cancel_all", "id": "a1", "symbol": "MSFT"})
    assert (all_msft["type"], all_msft["status"]) == ("ack", 202)
    assert [o["id"] for o in all_msft["orders"]] == [second["order"]["id"]]
    assert all_msft["orders"][0]["status"] == "pending_cancel"
    rest = await ask(ws, {"action": "cancel_all", "id": "a2"})
    assert [o["id"] for o in rest["orders"]] == [third["order"]["id"]]
    await ws.disconnect()


async def test_answers_come_in_request_order_with_consecutive_places_batched(traders):
    alice, token = traders["alice"]
    ws = await trading_socket(token)
    sent = []
    for i in range(60):
        if i % 10 == 9:
            message = {"action": "place", "id": i, "order": {**BUY, "qty": "abc"}}
        elif i % 7 == 6:
            message = {"action": "cancel", "id": i, "order_id": 999999}
        else:
            message = {"action": "place", "id": i, "order": {**BUY, "qty": str(1 + i % 3)}}
        sent.append(message)
        await ws.send_json_to(message)
    answers = [await receive(ws, timeout=20) for _ in sent]
    assert [a["id"] for a in answers] == list(range(60))
    for message, answer in zip(sent, answers, strict=True):
        if message["action"] == "cancel":
            assert (answer["type"], answer["status"], answer["code"]) == ("error", 404, "not_found")
        elif message["order"]["qty"] == "abc":
            assert (answer["type"], answer["status"], answer["code"]) == ("error", 400, "invalid")
            assert list(answer["errors"]) == ["qty"]
        else:
            assert (answer["type"], answer["status"], answer["order"]["qty"]) == ("ack", 201, message["order"]["qty"])
    placed = [a["order"]["id"] for a in answers if a["type"] == "ack"]
    assert placed == sorted(placed) and len(placed) == 46  # 60, less 6 bad qty and 8 cancels

    def orders_and_reserve():
        qty = sum(o.qty for o in Order.objects.filter(account=alice, status="accepted"))
        return Order.objects.filter(account=alice).count(), qty, reserved_cash(alice)

    count, qty, reserved = await database_sync_to_async(orders_and_reserve)()
    # Each order reserves qty x 100.00 x 1.0003.
    assert (count, reserved) == (46, qty * D("100.0300"))
    await ws.disconnect()


async def test_refusals_carry_rests_codes_and_change_nothing(traders):
    alice, token = traders["alice"]
    bob, bob_token = traders["bob"]
    ws = await trading_socket(token)
    poor = await ask(ws, {"action": "place", "id": "big", "order": {**BUY, "qty": "5000"}})
    assert (poor["type"], poor["status"], poor["code"]) == ("error", 422, "insufficient_buying_power")
    assert poor["message"] == "Buying power does not cover 500150.00 for this order."
    assert poor["order"]["status"] == "rejected"
    short = await ask(ws, {"action": "place", "id": "s", "order": {**BUY, "side": "sell", "qty": "51"}})
    assert (short["status"], short["code"]) == (422, "insufficient_position")
    unknown = await ask(ws, {"action": "place", "id": "u", "order": {**BUY, "symbol": "NOPE"}})
    assert (unknown["status"], unknown["code"], unknown["errors"]) == (400, "invalid", {"symbol": ["Unknown symbol 'NOPE'."]})
    band = await ask(ws, {"action": "place", "id": "b", "order": {**BUY, "limit_price": "150.00"}})
    assert (band["status"], band["code"]) == (422, "price_out_of_band")

    bob_ws = await trading_socket(bob_token)
    bobs = await ask(bob_ws, {"action": "place", "id": 1, "order": BUY})
    for message in ({"action": "cancel", "id": "c", "order_id": bobs["order"]["id"]},
                    {"action": "replace", "id": "c", "order_id": bobs["order"]["id"], "qty": "3"}):
        answer = await ask(ws, message)
        assert (answer["type"], answer["status"], answer["code"]) == ("error", 404, "not_found")
    mine = await ask(ws, {"action": "cancel_all", "id": "all"})
    assert mine["orders"] == []
    stored = await database_sync_to_async(Order.objects.get)(pk=bobs["order"]["id"])
    assert (stored.status, stored.replace_qty) == ("accepted", None)
    assert await database_sync_to_async(reserved_cash)(alice) == D("0")
    await ws.disconnect()
    await bob_ws.disconnect()


@pytest.mark.parametrize("message, status, code", [
    ({"action": "place", "order": BUY}, 400, "bad_message"),
    ({"action": "place", "id": True, "order": BUY}, 400, "bad_message"),
    ({"action": "place", "id": "x" * 65, "order": BUY}, 400, "bad_message"),
    ({"action": "place", "id": {"a": 1}, "order": BUY}, 400, "bad_message"),
    ({"action": "place", "id": 1}, 400, "invalid"),
    ({"action": "place", "id": 1, "order": [BUY]}, 400, "invalid"),
    ({"action": "place", "id": 1, "order": {**BUY, "qty": 10.5}}, 400, "invalid"),
    ({"action": "place", "id": 1, "order": {**BUY, "qty": "1e400"}}, 400, "invalid"),
    ({"action": "place", "id": 1, "order": {**BUY, "limit_price": "100.000000000000000001"}}, 400, "invalid"),
    ({"action": "place", "id": 1, "order": {**BUY, "side": "short"}}, 400, "invalid"),
    ({"action": "place", "id": 1, "order": {**BUY, "surprise": 1}}, 400, "invalid"),
    ({"action": "place", "id": 1, "order": {**BUY, "symbol": 5}}, 400, "invalid"),
    ({"action": "cancel", "id": 1}, 400, "invalid"),
    ({"action": "cancel", "id": 1, "order_id": "abc"}, 400, "invalid"),
    ({"action": "cancel", "id": 1, "order_id": -3}, 400, "invalid"),
    ({"action": "cancel", "id": 1, "order_id": 1.5}, 400, "invalid"),
    ({"action": "cancel", "id": 1, "order_id": 2**70}, 400, "invalid"),
    ({"action": "replace", "id": 1, "order_id": 1, "qty": []}, 400, "invalid"),
    ({"action": "cancel_all", "id": 1, "symbol": ["AAPL"]}, 400, "invalid"),
    ({"action": "cancel_all", "id": 1, "symbol": "NOPE"}, 400, "invalid"),
])
async def test_bad_requests_get_a_clear_error_and_change_nothing(traders, message, status, code):
    alice, token = traders["alice"]
    ws = await trading_socket(token)
    answer = await ask(ws, message)
    assert (answer["type"], answer["status"], answer["code"]) == ("error", status, code)
    assert answer["message"]
    # The socket still works.
    assert (await ask(ws, {"action": "ping"}))["type"] == "pong"
    assert await database_sync_to_async(Order.objects.count)() == 0
    await ws.disconnect()


async def test_a_read_key_and_an_anonymous_socket_may_not_trade(traders):
    alice, _ = traders["alice"]
    key, secret = await database_sync_to_async(api_key_create)(user=alice.user, scopes=["read"])
    anonymous = await connect()
    answer = await ask(anonymous, {"action": "place", "id": "a", "order": BUY})
    assert (answer["type"], answer["id"], answer["status"], answer["code"]) == ("error", "a", 401, "auth_required")
    reader = await connect()
    assert (await ask(reader, {"action": "auth", "key_id": key.key_id, "secret": secret}))["type"] == "authenticated"
    for message in ({"action": "place", "id": "r", "order": BUY}, {"action": "cancel", "id": "r", "order_id": 1},
                    {"action": "replace", "id": "r", "order_id": 1, "qty": "2"}, {"action": "cancel_all", "id": "r"}):
        answer = await ask(reader, message)
        assert (answer["type"], answer["status"], answer["code"]) == ("error", 403, "forbidden")
    trader_key, trader_secret = await database_sync_to_async(api_key_create)(user=alice.user, scopes=["read", "trade"])
    trader = await connect()
    await ask(trader, {"action": "auth", "key_id": trader_key.key_id, "secret": trader_secret})
    assert (await ask(trader, {"action": "place", "id": "t", "order": BUY}))["status"] == 201
    assert await database_sync_to_async(Order.objects.count)() == 1
    for ws in (anonymous, reader, trader):
        await ws.disconnect()


@override_settings(API_THROTTLE_RATE="5/min")
async def test_the_users_rest_rate_limit_applies_to_the_socket(traders):
    _, token = traders["alice"]
    ws = await trading_socket(token)
    for i in range(7):
        await ws.send_json_to({"action": "place", "id": i, "order": {**BUY, "qty": "1"}})
    answers = [await receive(ws, timeout=10) for _ in range(7)]
    assert [a["status"] for a in answers] == [201] * 5 + [429, 429]
    assert answers[5]["code"] == "rate_limited" and answers[5]["retry_after"] >= 1
    assert await database_sync_to_async(Order.objects.count)() == 5
    await ws.disconnect()


async def test_requests_past_the_sockets_rate_are_refused_in_turn(traders, monkeypatch):
    monkeypatch.setattr(session, "ENTRY_RATE_PER_SECOND", 0.01)
    monkeypatch.setattr(session, "ENTRY_BURST", 5)
    _, token = traders["alice"]
    ws = await trading_socket(token)
    for i in range(8):
        await ws.send_json_to({"action": "cancel", "id": i, "order_id": 1})
    answers = [await receive(ws, timeout=10) for _ in range(8)]
    assert [(a["id"], a["status"], a["code"]) for a in answers] == (
        [(i, 404, "not_found") for i in range(5)] + [(i, 429, "rate_limited") for i in range(5, 8)])
    await ws.disconnect()


async def test_a_flood_of_requests_closes_the_socket(traders, monkeypatch):
    monkeypatch.setattr(session, "ENTRY_RATE_PER_SECOND", 10.0)
    monkeypatch.setattr(session, "ENTRY_BURST", 50)
    _, token = traders["alice"]
    ws = await trading_socket(token)
    for i in range(400):
        await ws.send_json_to({"action": "cancel", "id": i, "order_id": 1})
    answers, closed = [], None
    while closed is None:
        message = await ws.receive_output(timeout=20)
        if message["type"] == "websocket.close":
            closed = message["code"]
        else:
            answers.append(json.loads(message["text"]))
    assert closed == CloseCode.FLOOD
    # Whatever was answered before the close was answered in turn.
    assert [a["id"] for a in answers] == list(range(len(answers)))
    assert {a["status"] for a in answers} <= {404, 429}


async def test_the_database_thread_keeps_its_connection(traders):
    _, token = traders["alice"]
    ws = await trading_socket(token)
    assert (await ask(ws, {"action": "place", "id": 1, "order": BUY}))["status"] == 201
    first = await entry_threads().run(lambda: id(connection.connection))
    assert (await ask(ws, {"action": "place", "id": 2, "order": BUY}))["status"] == 201
    assert (await ask(ws, {"action": "cancel_all", "id": 3}))["status"] == 202
    assert await entry_threads().run(lambda: id(connection.connection)) == first
    await ws.disconnect()


async def test_a_client_order_id_reused_with_another_body_is_409_on_the_socket(traders):
    _, token = traders["alice"]
    ws = await trading_socket(token)
    first = await ask(ws, {"action": "place", "id": 1, "order": {**BUY, "client_order_id": "k"}})
    for message in ({"action": "place", "id": 2, "order": {**BUY, "qty": "11", "client_order_id": "k"}},):
        await ws.send_json_to(message)
    # A lone request and one inside a run of places (a batch) answer alike.
    for i in range(3, 6):
        await ws.send_json_to({"action": "place", "id": i, "order": {**BUY, "qty": str(i), "client_order_id": "k"}})
    answers = [await receive(ws, timeout=10) for _ in range(4)]
    for answer in answers:
        assert (answer["type"], answer["status"], answer["code"], answer["order_id"]) == (
            "error", 409, "duplicate_client_order_id", first["order"]["id"])
    assert await database_sync_to_async(Order.objects.count)() == 1
    await ws.disconnect()
