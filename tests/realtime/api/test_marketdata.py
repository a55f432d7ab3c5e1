"""Public market data: book snapshot, trade tape and quotes, as the engine left them."""

import json
from decimal import Decimal

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from common.redis import get_redis
from orders.models import Order, Trade
from realtime.channels import book_key, quote_key
from tests.orders.api.fixtures import make_instrument

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_keys():
    """Market data keys a test writes, removed afterwards."""
    written = []

    def write(key: str, value: dict) -> None:
        get_redis().set(key, json.dumps(value))
        written.append(key)

    yield write
    if written:
        get_redis().delete(*written)


@pytest.fixture
def aapl_book(aapl, redis_keys):
    # The engine writes decimals as str(Decimal): not necessarily on the display grid.
    redis_keys(book_key("AAPL"), {
        "seq": 42,
        "bids": [["100.1", "5"], ["100.00", "10.00000000"], ["99.5", "1"]],
        "asks": [["100.2", "3"], ["101", "7"]],
    })


def test_the_book_is_public_and_on_the_grid(aapl_book):
    response = APIClient().get("/api/v1/marketdata/AAPL/book/")
    assert response.status_code == 200
    assert response.json() == {
        "symbol": "AAPL", "seq": 42,
        "bids": [["100.10", "5"], ["100.00", "10"], ["99.50", "1"]],
        "asks": [["100.20", "3"], ["101.00", "7"]],
    }


def test_book_depth(aapl_book):
    body = APIClient().get("/api/v1/marketdata/AAPL/book/?depth=1").json()
    assert (body["bids"], body["asks"]) == ([["100.10", "5"]], [["100.20", "3"]])
    assert len(APIClient().get("/api/v1/marketdata/AAPL/book/?depth=1000").json()["bids"]) == 3


def test_an_empty_book_before_the_engine_published(msft):
    assert APIClient().get("/api/v1/marketdata/MSFT/book/").json() == \
        {"symbol": "MSFT", "seq": 0, "bids": [], "asks": []}


@pytest.mark.parametrize("query", ["?depth=0", "?depth=1001", "?depth=-1", "?depth=abc", "?depth=1.5",
                                   "?depth=" + "9" * 5000])
def test_bad_depth_is_400(aapl, query):
    response = APIClient().get("/api/v1/marketdata/AAPL/book/" + query)
    assert response.status_code == 400
    assert "depth" in response.json()


@pytest.mark.parametrize("symbol", ["NOPE", "aapl", "A" * 40, "%00", "%F0%9F%92%A9", "AA%20PL"])
@pytest.mark.parametrize("endpoint", ["book", "trades"])
def test_unknown_symbols_are_404(aapl, symbol, endpoint):
    response = APIClient().get(f"/api/v1/marketdata/{symbol}/{endpoint}/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_redis_down_is_503_not_500(aapl, tmp_path):
    with override_settings(REDIS_URL=f"unix://{tmp_path}/nothing-listens-here.sock"):
        get_redis.cache_clear()
        response = APIClient().get("/api/v1/marketdata/AAPL/book/")
        quotes = APIClient().get("/api/v1/marketdata/quotes/")
    get_redis.cache_clear()
    assert (response.status_code, quotes.status_code) == (503, 503)
    assert response["Retry-After"] == "2"
    assert response.json() == {"detail": "Redis is unavailable; retry shortly.", "code": "redis_unavailable"}


@pytest.fixture
def tape(alice, bob, aapl):
    sell = Order.objects.get(pk=alice.place(side="sell", qty="30", limit_price="100.5").json()["id"])
    buy = Order.objects.get(pk=bob.place(qty="30", limit_price="100.50").json()["id"])
    return [Trade.objects.create(instrument=aapl, price=Decimal("100.5"), qty=Decimal(q), aggressor_side="buy",
                                 maker_order=sell, taker_order=buy, seq=seq)
            for seq, q in enumerate(["10", "15", "5"], start=1)]


def test_the_tape_is_public_newest_first(tape):
    response = APIClient().get("/api/v1/marketdata/AAPL/trades/")
    assert response.status_code == 200
    rows = response.json()
    assert all(r.pop("ts").endswith("Z") for r in rows)
    assert rows == [
        {"trade_id": tape[2].pk, "price": "100.50", "qty": "5", "aggressor_side": "buy", "dark": False},
        {"trade_id": tape[1].pk, "price": "100.50", "qty": "15", "aggressor_side": "buy", "dark": False},
        {"trade_id": tape[0].pk, "price": "100.50", "qty": "10", "aggressor_side": "buy", "dark": False},
    ]
    assert [r["trade_id"] for r in APIClient().get("/api/v1/marketdata/AAPL/trades/?limit=2").json()] == \
        [tape[2].pk, tape[1].pk]


def test_the_tape_of_another_symbol_is_empty(tape, msft):
    assert APIClient().get("/api/v1/marketdata/MSFT/trades/").json() == []


@pytest.mark.parametrize("query", ["?limit=0", "?limit=1001", "?limit=x", "?limit=-5"])
def test_bad_limit_is_400(aapl, query):
    response = APIClient().get("/api/v1/marketdata/AAPL/trades/" + query)
    assert (response.status_code, list(response.json())) == (400, ["limit"])


@pytest.fixture
def quotes(aapl, msft, redis_keys):
    redis_keys(quote_key("AAPL"), {"bid": "100.1", "bid_qty": "5", "ask": "100.2", "ask_qty": "3",
                                   "last": "100.15", "ts": "2026-01-05T14:30:00.123456+00:00"})
    redis_keys(quote_key("MSFT"), {"bid": None, "bid_qty": None, "ask": "401", "ask_qty": "2", "last": None,
                                   "ts": "2026-01-05T14:30:01+00:00"})


def test_quotes_for_the_symbols_asked_in_that_order(quotes):
    response = APIClient().get("/api/v1/marketdata/quotes/?symbols=MSFT,AAPL")
    assert response.status_code == 200
    assert response.json() == [
        {"symbol": "MSFT", "bid": None, "bid_qty": None, "ask": "401.00", "ask_qty": "2", "last": None,
         "ts": "2026-01-05T14:30:01+00:00"},
        {"symbol": "AAPL", "bid": "100.10", "bid_qty": "5", "ask": "100.20", "ask_qty": "3", "last": "100.15",
         "ts": "2026-01-05T14:30:00.123456+00:00"},
    ]


def test_quotes_default_to_every_instrument_and_null_when_never_quoted(quotes, db):
    make_instrument("ZED")
    body = APIClient().get("/api/v1/marketdata/quotes/").json()
    assert [q["symbol"] for q in body] == ["AAPL", "MSFT", "ZED"]
    assert body[2] == {"symbol": "ZED", "bid": None, "bid_qty": None, "ask": None, "ask_qty": None,
                       "last": None, "ts": None}


def test_quote_symbols_may_repeat_and_carry_spaces(quotes):
    body = APIClient().get("/api/v1/marketdata/quotes/?symbols=AAPL, AAPL ,MSFT").json()
    assert [q["symbol"] for q in body] == ["AAPL", "MSFT"]


@pytest.mark.parametrize("query", ["?symbols=NOPE", "?symbols=AAPL,NOPE", "?symbols=,", "?symbols=%00",
                                   "?symbols=" + ",".join(f"S{i}" for i in range(101)), "?symbols=%F0%9F%92%A9"])
def test_bad_quote_symbols_are_400(quotes, query):
    response = APIClient().get("/api/v1/marketdata/quotes/" + query)
    assert (response.status_code, list(response.json())) == (400, ["symbols"])
