"""GET trades/: my fills with my side, fee and liquidity, newest first."""

from decimal import Decimal

import pytest

from orders.models import Order, Trade
from orders.money import fee_for
from tests.orders.api.fixtures import make_instrument

pytestmark = pytest.mark.django_db

TRADES = "/api/v1/trades/"


def fill(maker: Order, taker: Order, price: str, qty: str, seq: int) -> Trade:
    """A trade as the engine would record it (no engine runs in these tests)."""
    price, qty = Decimal(price), Decimal(qty)
    maker_fee, taker_fee = fee_for(price * qty, Decimal("0.0001")), fee_for(price * qty, Decimal("0.0003"))
    return Trade.objects.create(instrument=maker.instrument, price=price, qty=qty, aggressor_side=taker.side,
                                maker_order=maker, taker_order=taker, maker_fee=maker_fee, taker_fee=taker_fee,
                                seq=seq)


@pytest.fixture
def fills(alice, bob, msft):
    """Alice rests a sell (maker); Bob crosses it twice (taker). A MSFT trade too."""
    sell = Order.objects.get(pk=alice.place(side="sell", qty="30", limit_price="100.50").json()["id"])
    buy = Order.objects.get(pk=bob.place(qty="30", limit_price="100.50").json()["id"])
    first = fill(sell, buy, "100.50", "10", seq=1)
    second = fill(sell, buy, "100.50", "20", seq=2)
    from orders.services import position_grant

    position_grant(account=bob.account, instrument=msft, qty=Decimal("5"), avg_price=Decimal("400"))
    msft_sell = Order.objects.get(pk=bob.place(symbol="MSFT", side="sell", qty="5", limit_price="400.00").json()["id"])
    msft_buy = Order.objects.get(pk=alice.place(symbol="MSFT", qty="5", limit_price="400.00").json()["id"])
    third = fill(msft_sell, msft_buy, "400.00", "5", seq=1)
    return {"sell": sell, "buy": buy, "first": first, "second": second, "third": third,
            "msft_sell": msft_sell, "msft_buy": msft_buy}


def test_the_maker_sees_its_side_fee_and_liquidity(alice, fills):
    response = alice.client.get(TRADES)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    rows = body["results"]
    ts = [r.pop("ts") for r in rows]
    assert all(t.endswith("Z") for t in ts)
    assert rows == [
        {"trade_id": fills["third"].pk, "order_id": fills["msft_buy"].pk, "symbol": "MSFT", "side": "buy",
         "price": "400.00", "qty": "5", "fee": "0.60", "liquidity": "taker"},
        {"trade_id": fills["second"].pk, "order_id": fills["sell"].pk, "symbol": "AAPL", "side": "sell",
         "price": "100.50", "qty": "20", "fee": "0.20", "liquidity": "maker"},
        {"trade_id": fills["first"].pk, "order_id": fills["sell"].pk, "symbol": "AAPL", "side": "sell",
         "price": "100.50", "qty": "10", "fee": "0.10", "liquidity": "maker"},
    ]


def test_the_taker_sees_the_same_trades_from_its_side(bob, fills):
    rows = bob.client.get(TRADES).json()["results"]
    assert [(r["trade_id"], r["order_id"], r["side"], r["liquidity"], r["fee"]) for r in rows] == [
        (fills["third"].pk, fills["msft_sell"].pk, "sell", "maker", "0.20"),
        (fills["second"].pk, fills["buy"].pk, "buy", "taker", "0.60"),
        (fills["first"].pk, fills["buy"].pk, "buy", "taker", "0.30"),
    ]


def test_filters_by_symbol_and_order(alice, bob, fills):
    assert [r["trade_id"] for r in alice.client.get(TRADES + "?symbol=MSFT").json()["results"]] == [fills["third"].pk]
    by_order = alice.client.get(f"{TRADES}?order_id={fills['sell'].pk}").json()
    assert [r["trade_id"] for r in by_order["results"]] == [fills["second"].pk, fills["first"].pk]
    # Bob's order id gets Alice nothing.
    assert alice.client.get(f"{TRADES}?order_id={fills['buy'].pk}").json()["count"] == 0
    assert alice.client.get(f"{TRADES}?symbol=AAPL&order_id={fills['msft_buy'].pk}").json()["count"] == 0


def test_self_trades_show_both_sides(alice, aapl):
    sell = Order.objects.get(pk=alice.place(side="sell", qty="5").json()["id"])
    buy = Order.objects.get(pk=alice.place(qty="5").json()["id"])
    trade = fill(sell, buy, "100.00", "5", seq=9)
    rows = alice.client.get(TRADES).json()["results"]
    assert [(r["trade_id"], r["order_id"], r["liquidity"]) for r in rows] == \
        [(trade.pk, sell.pk, "maker"), (trade.pk, buy.pk, "taker")]


def test_fills_are_paginated(alice, fills):
    page = alice.client.get(TRADES + "?page_size=2").json()
    assert (page["count"], len(page["results"]), page["previous"]) == (3, 2, None)
    assert page["next"].endswith("page=2&page_size=2")
    last = alice.client.get(TRADES + "?page_size=2&page=2").json()
    assert [r["trade_id"] for r in last["results"]] == [fills["first"].pk]


def test_fill_prices_use_the_instruments_grid(alice, db):
    btc = make_instrument("BTC", tick_size=Decimal("0.5"), lot_size=Decimal("0.02"), reference_price=Decimal("30000"))
    from tests.orders.api.fixtures import make_trader

    seller = make_trader("seller", holdings={btc: (Decimal("1"), Decimal("29000"))})
    sell = Order.objects.get(pk=seller.place(symbol="BTC", side="sell", qty="0.2", limit_price="30000").json()["id"])
    buy = Order.objects.get(pk=alice.place(symbol="BTC", qty="0.2", limit_price="30000").json()["id"])
    fill(sell, buy, "30000", "0.2", seq=1)
    row = alice.client.get(TRADES).json()["results"][0]
    assert (row["price"], row["qty"], row["fee"]) == ("30000.0", "0.20", "1.80")
