"""Orders sent over HTTP to a live server, matched by a real engine process, settled in the
database (one test drives the services directly, to see the reservations while the engine has not
yet answered)."""

from decimal import Decimal as D

import pytest
from django.db import transaction

from orders.models import Account, LedgerEntry, Order, Position, Trade
from orders.services import order_replace
from orders.services.ops import instrument_halt, orders_expire_day
from tests.factories import make_instrument, make_trader
from tests.http_api import ApiClient
from tests.processes import wait_for

pytestmark = pytest.mark.slow


def audit_violations() -> list[str]:
    from orders import audit

    return audit.audit_run()


def settled(order: Order, *statuses: str, timeout: float = 20) -> Order:
    statuses = statuses or tuple(s for s in Order.Status.values if s != Order.Status.ACCEPTED)
    wait_for(lambda: Order.objects.get(pk=order.pk).status in statuses, timeout, f"order {order.pk} -> {statuses}")
    return Order.objects.get(pk=order.pk)


CLIENTS: dict[int, ApiClient] = {}


def place(account, **fields) -> Order:
    """POST orders/ as the account's trader; the stored order."""
    status, body = CLIENTS[account.pk].request("POST", "orders/", {"time_in_force": "gtc", **fields})
    assert status == 201, body
    return Order.objects.get(pk=body["id"])


@pytest.fixture
def market(engine, live_server):
    aapl = make_instrument("AAPL")
    buyer = make_trader("buyer", cash="100000.00")
    seller = make_trader("seller", cash="1000.00", positions={aapl: "50"})
    CLIENTS.clear()
    CLIENTS.update({account.pk: ApiClient(live_server.url, account) for account in (buyer, seller)})
    yield aapl, buyer, seller
    CLIENTS.clear()


def test_crossing_limit_orders_settle_cash_positions_fees_and_ledger_to_the_cent(market):
    aapl, buyer, seller = market
    ask = place(seller, symbol="AAPL", side="sell", type="limit", qty=D("10"), limit_price=D("100.50"))
    assert settled(ask).status == "new"
    bid = place(buyer, symbol="AAPL", side="buy", type="limit", qty=D("4"), limit_price=D("101.00"))
    bid = settled(bid, "filled")
    ask = Order.objects.get(pk=ask.pk)

    assert (bid.filled_qty, bid.avg_fill_price, bid.reserved_cash) == (D("4"), D("100.50"), D("0"))
    assert (ask.status, ask.filled_qty) == ("partially_filled", D("4"))
    trade = Trade.objects.get()
    assert (trade.price, trade.qty, trade.aggressor_side) == (D("100.50"), D("4"), "buy")
    assert (trade.maker_order_id, trade.taker_order_id) == (ask.pk, bid.pk)
    # 4 x 100.50 = 402.00; taker fee 0.0003 -> 0.12 (0.1206 truncated), maker 0.0001 -> 0.04
    assert (trade.taker_fee, trade.maker_fee) == (D("0.12"), D("0.04"))
    buyer.refresh_from_db(); seller.refresh_from_db()
    assert (buyer.cash, buyer.reserved_cash) == (D("99597.88"), D("0.00"))
    assert (seller.cash, seller.reserved_cash) == (D("1401.96"), D("0.00"))
    assert Account.objects.get(kind="house").cash == D("0.16")
    long = Position.objects.get(account=buyer, instrument=aapl)
    short = Position.objects.get(account=seller, instrument=aapl)
    assert (long.qty, long.reserved_qty, long.avg_price) == (D("4"), D("0"), D("100.50"))
    assert (short.qty, short.reserved_qty, short.realized_pl) == (D("46"), D("6"), D("42.00"))
    legs = sorted((e.account_id, e.kind, e.amount) for e in LedgerEntry.objects.filter(trade=trade))
    assert legs == sorted([(buyer.pk, "trade", D("-402.00")), (seller.pk, "trade", D("402.00")),
                           (buyer.pk, "fee", D("-0.12")), (seller.pk, "fee", D("-0.04")),
                           (Account.objects.get(kind="house").pk, "fee", D("0.16"))])
    assert audit_violations() == []


def test_cancel_releases_the_reservation_and_replace_re_reserves(market):
    aapl, buyer, _ = market
    bid = settled(place(buyer, symbol="AAPL", side="buy", type="limit", qty=D("10"), limit_price=D("99.00")), "new")
    buyer.refresh_from_db()
    # 10 x 99.00 = 990.00 plus fees at the higher rate 0.0003 -> 0.297 rounded up to 0.30
    assert buyer.reserved_cash == D("990.30")
    # The engine gets the replace at commit and may confirm it at once: look at what the service
    # holds before then.
    with transaction.atomic():
        order_replace(account=buyer, order_id=bid.pk, qty=D("20"), limit_price=D("98.00"))
        buyer.refresh_from_db()
        assert buyer.reserved_cash == D("990.30") + D("1960.59")  # both held while the engine decides
    wait_for(lambda: Order.objects.get(pk=bid.pk).replace_qty is None, 20, "replace confirmed")
    bid = Order.objects.get(pk=bid.pk)
    buyer.refresh_from_db()
    assert (bid.qty, bid.limit_price, bid.status) == (D("20"), D("98.00"), "new")
    assert buyer.reserved_cash == bid.reserved_cash == D("1960.59")
    # Over HTTP: a smaller quantity at the same price keeps priority and re-reserves for 5 lots,
    # 5 x 98.00 = 490.00 plus 0.147 of fees rounded up.
    assert CLIENTS[buyer.pk].request("PATCH", f"orders/{bid.pk}/", {"qty": "5"})[0] == 202
    wait_for(lambda: Order.objects.get(pk=bid.pk).replace_qty is None, 20, "replace confirmed")
    buyer.refresh_from_db()
    assert (Order.objects.get(pk=bid.pk).qty, buyer.reserved_cash) == (D("5"), D("490.15"))
    status, body = CLIENTS[buyer.pk].request("DELETE", f"orders/{bid.pk}/")
    assert (status, body["status"]) == (202, "pending_cancel")
    assert settled(bid, "canceled").reserved_cash == D("0")
    buyer.refresh_from_db()
    assert (buyer.cash, buyer.reserved_cash) == (D("100000.00"), D("0.00"))
    assert audit_violations() == []


def test_every_order_type_and_time_in_force_reaches_its_final_state(market):
    aapl, buyer, seller = market
    for price in ("100.00", "100.10", "100.20"):
        settled(place(seller, symbol="AAPL", side="sell", type="limit", qty=D("5"), limit_price=D(price)), "new")
    post_only = settled(place(buyer, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D("100.00"), post_only=True))
    assert (post_only.status, post_only.reject_reason) == ("rejected", "post_only_would_trade")
    fok = settled(place(buyer, symbol="AAPL", side="buy", type="limit", qty=D("20"), limit_price=D("100.20"), time_in_force="fok"))
    assert (fok.status, fok.filled_qty) == ("expired", D("0"))
    ioc = settled(place(buyer, symbol="AAPL", side="buy", type="limit", qty=D("7"), limit_price=D("100.00"), time_in_force="ioc"))
    assert (ioc.status, ioc.filled_qty) == ("expired", D("5"))
    stop = settled(place(buyer, symbol="AAPL", side="buy", type="stop", qty=D("2"), stop_price=D("100.10")), "new")
    market_buy = settled(place(buyer, symbol="AAPL", side="buy", type="market", qty=D("3")), "filled")
    assert market_buy.avg_fill_price == D("100.10")
    # The market buy printed 100.10, which triggers the buy stop: it takes the last 2 at 100.10.
    stop = settled(stop, "filled")
    assert (stop.filled_qty, stop.avg_fill_price) == (D("2"), D("100.10"))
    day = settled(place(buyer, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D("99.00"), time_in_force="day"), "new")
    orders_expire_day(symbol="AAPL")
    assert settled(day, "expired").reserved_cash == D("0")
    sell_market = settled(place(seller, symbol="AAPL", side="sell", type="market", qty=D("1")))
    assert (sell_market.status, sell_market.reject_reason) == ("rejected", "no_liquidity")
    buyer.refresh_from_db()
    assert buyer.reserved_cash == D("0.00")
    assert audit_violations() == []


def test_halted_symbol_refuses_new_orders_at_once(market):
    aapl, buyer, _ = market
    instrument_halt(instrument=aapl)
    status, body = CLIENTS[buyer.pk].request("POST", "orders/", {"symbol": "AAPL", "side": "buy", "type": "limit",
                                                                  "qty": "1", "limit_price": "100.00",
                                                                  "time_in_force": "gtc"})
    assert (status, body["code"]) == (422, "instrument_halted")
    assert Order.objects.get().status == "rejected"


def test_a_halt_the_bus_never_delivered_still_reaches_the_engine(market):
    from marketdata.models import Instrument

    aapl, buyer, _ = market
    settled(place(buyer, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D("99.00")), "new")
    seq = Instrument.objects.get(pk=aapl.pk).engine_seq
    Instrument.objects.filter(pk=aapl.pk).update(status="halted")  # as if Redis dropped the command
    wait_for(lambda: Instrument.objects.get(pk=aapl.pk).engine_seq == seq + 1, 10, "engine applies the halt")
    instrument = Instrument.objects.get(pk=aapl.pk)
    assert instrument.status == "halted"
    Instrument.objects.filter(pk=aapl.pk).update(status="trading")
    wait_for(lambda: Instrument.objects.get(pk=aapl.pk).engine_seq == seq + 2, 10, "engine applies the resume")
    assert Instrument.objects.get(pk=aapl.pk).status == "trading"
