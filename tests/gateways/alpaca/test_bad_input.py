"""Bad input on every /v2/ path and both Alpaca streams, against a live server: a clear
`{"code", "message"}` with Alpaca's status, nothing changed, never a 500 or a dropped socket."""

import asyncio
import json

import msgpack
import pytest
import requests
from websockets.asyncio.client import connect

from orders.models import Order
from tests.gateways.alpaca.conftest import serving

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

GOOD = {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "limit", "time_in_force": "day", "limit_price": "99.00"}


def call(venue, keys, method, path, body=None, raw=None, **params):
    headers = keys.headers() if keys is not None else {}
    if raw is not None:
        headers["Content-Type"] = "application/json"
    response = requests.request(method, f"http://{venue}{path}", headers=headers, json=body, data=raw, params=params,
                                timeout=10, allow_redirects=False)
    return response.status_code, (response.json() if response.content else None)


def test_bad_orders_change_nothing(venue, traders):
    buyer, reader = traders["buyer"], traders["reader"]
    bad = [
        ({**GOOD, "qty": "abc"}, 422, "qty is not a valid number"),
        ({**GOOD, "qty": True}, 422, "qty must be a number or a numeric string"),
        ({**GOOD, "qty": [1]}, 422, "qty must be a number or a numeric string"),
        ({**GOOD, "qty": -1}, 422, "qty must be greater than 0"),
        ({**GOOD, "limit_price": "1e400"}, 422, "limit_price must be less than 1000000000000"),
        ({**GOOD, "side": 1}, 422, "side must be one of: buy, sell"),
        ({**GOOD, "type": "trailing_stop"}, 422, "trailing stop orders are not supported"),
        ({**GOOD, "time_in_force": "opg"}, 422, "opening auction orders (opg) are not supported"),
        ({**GOOD, "notional": 100, "qty": None}, 422, "notional orders are not supported: give qty (no fractional shares)"),
        ({**GOOD, "extended_hours": True}, 422, "extended hours orders are not supported"),
        ({**GOOD, "order_class": "bracket"}, 422, "only simple orders are supported"),
        ({**GOOD, "symbol": "NOPE"}, 422, "symbol: Unknown symbol 'NOPE'."),
        ({**GOOD, "symbol": 5}, 422, "symbol is required and must be a string"),
        ({**GOOD, "qty": "1.5"}, 422, "qty: qty must be a positive multiple of the lot size 1."),
        ({**GOOD, "limit_price": "99.001"}, 422, "limit_price: limit_price must be a positive multiple of the tick size 0.01."),
        ({**GOOD, "limit_price": "150.00"}, 422, "Price must lie within 10.00% of 100 (90 to 110)."),
        ({**GOOD, "client_order_id": "x" * 65}, 422, "client_order_id must be 1 to 64 printable ASCII characters"),
        ([GOOD], 422, "the request body must be a JSON object"),
    ]
    for body, status, message in bad:
        code, answer = call(venue, buyer, "POST", "/v2/orders", body)
        assert code == status, (body, answer)
        assert set(answer) == {"code", "message"} and isinstance(answer["code"], int), answer
        if message:
            assert answer["message"] == message, (body, answer)
    # A float with 20 decimals, as raw JSON: refused for its places, not rounded into an order.
    raw = '{"symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit", "time_in_force": "day", ' \
          '"limit_price": 99.12345678901234567890}'
    assert call(venue, buyer, "POST", "/v2/orders", raw=raw) == (
        422, {"code": 40010001, "message": "limit_price has more than 8 decimal places"})
    assert call(venue, buyer, "POST", "/v2/orders", raw="{not json")[0] == 400
    assert call(venue, buyer, "POST", "/v2/orders", raw='[' * 100000)[0] == 400
    # A read key may read, not trade; no key or a wrong one is 401.
    assert call(venue, reader, "GET", "/v2/account")[0] == 200
    code, answer = call(venue, reader, "POST", "/v2/orders", GOOD)
    assert code == 403 and answer["code"] == 40310000
    assert call(venue, reader, "DELETE", "/v2/orders")[0] == 403
    assert call(venue, reader, "DELETE", "/v2/positions/AAPL")[0] == 403
    assert call(venue, None, "GET", "/v2/account") == (401, {"code": 40110000,
                                                            "message": "Authentication credentials were not provided."})
    wrong = type("K", (), {"headers": lambda self: {"APCA-API-KEY-ID": buyer.key_id, "APCA-API-SECRET-KEY": "x"}})()
    assert call(venue, wrong, "GET", "/v2/account")[0] == 401
    # Nothing placed: only the order risk refused (outside the band) is kept, `rejected`, for audit as on v1.
    assert list(Order.objects.values_list("status", "limit_price")) == [("rejected", 150)]


def test_bad_paths_and_params(venue, traders):
    buyer = traders["buyer"]
    assert call(venue, buyer, "GET", "/v2/orders/123") == (422, {"code": 40010001,
                                                                "message": "order_id must be a UUID, not '123'"})
    assert call(venue, buyer, "GET", "/v2/orders/5b0a6f06-3c2e-4f33-9c7e-2a2f2a2f2a2f")[0] == 404
    assert call(venue, buyer, "DELETE", "/v2/orders/not-a-uuid")[0] == 422
    assert call(venue, buyer, "PATCH", "/v2/orders/00000001-0000-4000-8000-000000000001", {"qty": 5})[0] == 404
    assert call(venue, buyer, "GET", "/v2/orders:by_client_order_id", client_order_id="nope")[0] == 404
    assert call(venue, buyer, "GET", "/v2/orders", status="sideways")[0] == 422
    assert call(venue, buyer, "GET", "/v2/orders", limit="many")[0] == 422
    assert call(venue, buyer, "GET", "/v2/orders", after="yesterday")[0] == 422
    assert call(venue, buyer, "GET", "/v2/orders", symbols="AAPL", direction="asc", after="2020-01-01T00:00:00Z")[0] == 200
    assert call(venue, buyer, "GET", "/v2/positions/NOPE") == (404, {"code": 40410000, "message": "position does not exist"})
    assert call(venue, buyer, "DELETE", "/v2/positions/AAPL", qty="abc")[0] == 404  # no position: not found first
    assert call(venue, buyer, "GET", "/v2/assets/NOPE")[0] == 404
    assert call(venue, buyer, "GET", "/v2/calendar", start="2026-13-40")[0] == 422
    assert call(venue, buyer, "GET", "/v2/calendar", start="2026-01-02", end="2025-01-01")[0] == 422
    assert call(venue, buyer, "GET", "/v2/stocks/bars", symbols="AAPL", timeframe="1Day")[0] == 422
    assert call(venue, buyer, "GET", "/v2/stocks/bars", symbols="NOPE", timeframe="1Min") == (
        422, {"code": 40010001, "message": "unknown symbol 'NOPE'"})
    assert call(venue, buyer, "GET", "/v2/stocks/quotes/latest")[0] == 422
    assert call(venue, buyer, "GET", "/v2/stocks/snapshots", symbols="A" * 40)[0] == 422
    assert call(venue, buyer, "GET", "/v2/watchlists") == (404, {"code": 40410000, "message": "endpoint not found"})
    assert call(venue, buyer, "PUT", "/v2/account")[0] == 405
    assert not Order.objects.exists()


async def recv_msgpack(ws):
    return msgpack.unpackb(await asyncio.wait_for(ws.recv(), 10), timestamp=3)


async def test_bad_stream_messages(venue, traders):
    buyer = traders["buyer"]
    async with connect(f"ws://{venue}/v2/iex") as ws:
        assert await recv_msgpack(ws) == [{"T": "success", "msg": "connected"}]
        await ws.send(b"\xc1\xff\x00garbage")
        assert await recv_msgpack(ws) == [{"T": "error", "code": 400, "msg": "invalid syntax"}]
        await ws.send(msgpack.packb({"action": "subscribe", "trades": ["AAPL"]}))
        assert await recv_msgpack(ws) == [{"T": "error", "code": 401, "msg": "not authenticated"}]
        await ws.send(msgpack.packb({"action": "auth", "key": buyer.key_id, "secret": buyer.secret}))
        assert await recv_msgpack(ws) == [{"T": "success", "msg": "authenticated"}]
        for message, reply in [
            ({"action": "subscribe", "trades": ["NOPE"]}, "Unknown symbol 'NOPE'."),
            ({"action": "subscribe", "trades": "AAPL"}, "invalid syntax: trades must be a list of symbols"),
            ({"action": "subscribe", "statuses": ["AAPL"]}, "invalid subscribe action for this feed: only trades, quotes and bars"),
            ({"action": 7}, "invalid syntax"),
            ([1, 2], "invalid syntax"),
        ]:
            await ws.send(msgpack.packb(message))
            answer = (await recv_msgpack(ws))[0]
            assert (answer["T"], answer["msg"]) == ("error", reply), message
        await ws.send(msgpack.packb({"action": "subscribe", "quotes": ["AAPL"], "trades": ["*"]}))
        subscription = (await recv_msgpack(ws))[0]
        assert (subscription["T"], subscription["quotes"], subscription["trades"], subscription["bars"]) == (
            "subscription", ["AAPL"], ["*"], [])
    async with connect(f"ws://{venue}/v2/iex") as ws:
        await recv_msgpack(ws)
        await ws.send(msgpack.packb({"action": "auth", "key": buyer.key_id, "secret": "wrong"}))
        assert await recv_msgpack(ws) == [{"T": "error", "code": 402, "msg": "auth failed"}]
        await asyncio.wait_for(ws.wait_closed(), 10)

    async with connect(f"ws://{venue}/stream") as ws:
        await ws.send("not json")
        assert json.loads(await ws.recv())["stream"] == "error"
        await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
        assert json.loads(await ws.recv()) == {"stream": "authorization",
                                              "data": {"action": "listen", "status": "unauthorized"}}
        await ws.send(json.dumps({"action": "authenticate", "data": {"key_id": buyer.key_id,
                                                                    "secret_key": buyer.secret}}))
        assert json.loads(await ws.recv())["data"]["status"] == "authorized"
        await ws.send(json.dumps({"action": "listen", "data": {"streams": ["account_updates"]}}))
        assert json.loads(await ws.recv())["stream"] == "error"
        await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
        assert json.loads(await ws.recv()) == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
    async with connect(f"ws://{venue}/stream") as ws:
        await ws.send(json.dumps({"action": "authenticate", "data": {"key_id": 5, "secret_key": None}}))
        assert json.loads(await ws.recv())["data"]["status"] == "unauthorized"
        await asyncio.wait_for(ws.wait_closed(), 10)


def test_rate_limited_is_429_with_retry_after(traders):
    buyer = traders["buyer"]
    with serving(API_THROTTLE_RATE="3/min") as venue:
        assert [call(venue, buyer, "GET", "/v2/clock")[0] for _ in range(3)] == [200] * 3
        response = requests.get(f"http://{venue}/v2/orders", headers=buyer.headers(), timeout=10)
        assert (response.status_code, response.json()) == (429, {"code": 42910000, "message": "rate limit exceeded"})
        assert int(response.headers["Retry-After"]) >= 1
