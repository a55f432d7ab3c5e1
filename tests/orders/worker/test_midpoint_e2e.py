"""The dark pool end to end: midpoint orders over HTTP, matched by a real engine process at the
lit midpoint (half a tick here), settled to the cent, on the public tape with "dark": true and
never in the book or the quote; bad midpoint orders are refused with a clear 400."""

from decimal import Decimal as D

import pytest

from orders.models import Account, LedgerEntry, Order, Position, Trade
from tests.factories import make_instrument, make_trader
from tests.http_api import ApiClient
from tests.orders.worker.test_settlement_e2e import audit_violations, settled

pytestmark = pytest.mark.slow


@pytest.fixture
def dark_market(engine, live_server):
    aapl = make_instrument("AAPL")
    maker = make_trader("lit", cash="100000.00", positions={aapl: "100"})
    buyer = make_trader("buyer", cash="100000.00")
    seller = make_trader("seller", cash="1000.00", positions={aapl: "50"})
    clients = {a.pk: ApiClient(live_server.url, a) for a in (maker, buyer, seller)}

    def place(account, **fields):
        status, body = clients[account.pk].request("POST", "orders/", {"time_in_force": "gtc", **fields})
        assert status == 201, body
        return Order.objects.get(pk=body["id"])

    # the lit book: 100.00 x 100.05, midpoint 100.025 (half a tick)
    for side, price in (("buy", "100.00"), ("sell", "100.05")):
        settled(place(maker, symbol="AAPL", side=side, type="limit", qty=D("10"), limit_price=D(price)), "new")
    return aapl, place, clients, (maker, buyer, seller)


def test_two_accounts_midpoint_orders_cross_at_the_half_tick_midpoint_exactly(dark_market):
    aapl, place, clients, (maker, buyer, seller) = dark_market
    ask = settled(place(seller, symbol="AAPL", side="sell", type="midpoint", qty=D("7")), "new")
    bid = place(buyer, symbol="AAPL", side="buy", type="midpoint", qty=D("10"), limit_price=D("100.10"),
                min_qty=D("5"))
    bid = settled(bid, "partially_filled")
    ask = settled(ask, "filled")

    trade = Trade.objects.get()
    assert (trade.price, trade.qty, trade.aggressor_side, trade.dark) == (D("100.025"), D("7"), "buy", True)
    assert (trade.maker_order_id, trade.taker_order_id) == (ask.pk, bid.pk)
    # 7 x 100.025 = 700.175 -> 700.18 (to the cent, half to even, both sides the same); taker fee
    # 0.0003 x 700.18 = 0.210054 -> 0.21, maker 0.0001 -> 0.07 (fees truncated)
    assert (trade.taker_fee, trade.maker_fee) == (D("0.21"), D("0.07"))
    buyer.refresh_from_db(); seller.refresh_from_db()
    # the buyer still holds 3 x 100.10 = 300.30 plus the fee 0.09009 -> 0.10 for the rest
    assert (buyer.cash, buyer.reserved_cash) == (D("99299.61"), D("300.40"))
    assert (seller.cash, seller.reserved_cash) == (D("1700.11"), D("0.00"))
    assert Account.objects.get(kind="house").cash == D("0.28")
    assert (bid.filled_qty, bid.reserved_cash, bid.min_qty) == (D("7"), D("300.40"), D("5"))
    long = Position.objects.get(account=buyer, instrument=aapl)
    short = Position.objects.get(account=seller, instrument=aapl)
    assert (long.qty, long.avg_price) == (D("7"), D("100.025"))
    assert (short.qty, short.reserved_qty, short.realized_pl) == (D("43"), D("0"), D("70.18"))  # 70.175
    legs = sorted((e.account_id, e.kind, e.amount) for e in LedgerEntry.objects.filter(trade=trade))
    assert legs == sorted([(buyer.pk, "trade", D("-700.18")), (seller.pk, "trade", D("700.18")),
                           (buyer.pk, "fee", D("-0.21")), (seller.pk, "fee", D("-0.07")),
                           (Account.objects.get(kind="house").pk, "fee", D("0.28"))])
    aapl.refresh_from_db()
    assert aapl.last_price is None  # the lit last price: no lit trade yet

    client = clients[buyer.pk]
    status, tape = client.request("GET", "marketdata/AAPL/trades/")
    assert status == 200
    assert [(t["price"], t["qty"], t["aggressor_side"], t["dark"]) for t in tape] == [("100.025", "7", "buy", True)]
    status, book = client.request("GET", "marketdata/AAPL/book/")
    assert (book["bids"], book["asks"]) == ([["100.00", "10"]], [["100.05", "10"]])
    status, order = client.request("GET", f"orders/{bid.pk}/")
    assert (order["type"], order["min_qty"], order["limit_price"], order["filled_qty"]) == ("midpoint", "5", "100.10", "7")
    assert order["avg_fill_price"] == "100.025"

    status, _ = client.request("DELETE", f"orders/{bid.pk}/")
    assert status in (200, 202)
    bid = settled(bid, "canceled")
    buyer.refresh_from_db()
    assert (bid.reserved_cash, buyer.reserved_cash) == (D("0"), D("0.00"))
    assert audit_violations() == []


@pytest.mark.parametrize("fields, field, words", [
    ({"post_only": True}, "post_only", "cannot be post_only"),
    ({"time_in_force": "fok"}, "time_in_force", "not fok"),
    ({"min_qty": "11"}, "min_qty", "cannot exceed qty"),
    ({"min_qty": "2.5"}, "min_qty", "multiple of the lot size"),
    ({"stop_price": "100.00"}, "stop_price", "takes no stop_price"),
])
def test_bad_midpoint_orders_get_a_clear_400_and_change_nothing(dark_market, fields, field, words):
    aapl, place, clients, (maker, buyer, seller) = dark_market
    before = Order.objects.count()
    body = {"symbol": "AAPL", "side": "sell", "type": "midpoint", "qty": "10", "time_in_force": "gtc", **fields}
    status, answer = clients[seller.pk].request("POST", "orders/", body)
    assert status == 400, answer
    assert words in " ".join(answer[field]), answer
    assert Order.objects.count() == before
    status, answer = clients[seller.pk].request("POST", "orders/", {**body, "type": "limit", "limit_price": "100.00",
                                                                   "min_qty": "1", "post_only": False,
                                                                   "time_in_force": "gtc", "stop_price": None})
    assert status == 400 and "only to midpoint" in " ".join(answer["min_qty"])
