"""Per-account risk limits at order entry (orders/services/risk_limits.py): each limit refuses
with its code, the refused order is stored rejected, and nothing is reserved."""

from decimal import Decimal as D

import pytest

from common.errors import ServiceError
from orders.models import Order, RiskLimit
from orders.services import order_place, order_place_many
from tests.factories import make_instrument, make_trader
from tests.orders.support import fill, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def venue():
    aapl = make_instrument("AAPL")
    msft = make_instrument("MSFT", reference="200.00")
    trader = make_trader("trader", cash="100000.00", positions={aapl: "20"}, price="90.00")
    return aapl, msft, trader


def limit(account, **fields) -> RiskLimit:
    return RiskLimit.objects.update_or_create(account=account, defaults=fields)[0]


def refused(account, **order) -> ServiceError:
    body = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": D("1"), "limit_price": D("100.00"), **order}
    with pytest.raises(ServiceError) as error:
        order_place(account=account, **body)
    assert error.value.kind == "refused"
    stored = error.value.order
    assert (stored.status, stored.reject_reason, stored.reserved_cash) == ("rejected", error.value.code, D("0"))
    return error.value


def test_an_account_without_limits_places_as_before(venue):
    _, _, trader = venue
    order = place(trader, side="buy", qty="500", price="100.00")
    assert order.status == "accepted"


def test_max_position_counts_what_is_held_and_the_open_buys(venue):
    _, _, trader = venue
    limit(trader, max_position_qty=D("30"))
    place(trader, side="buy", qty="6", price="100.00")  # 20 held + 6 open = 26
    error = refused(trader, qty=D("5"))  # 31 > 30
    assert error.code == "max_position_exceeded"
    assert error.detail == "AAPL: held and open buys would reach 31, over the limit of 30."
    assert place(trader, side="buy", qty="4", price="100.00").status == "accepted"  # exactly 30
    # A sell only reduces the position: never refused by this limit.
    assert place(trader, side="sell", qty="20", price="101.00").status == "accepted"
    trader.refresh_from_db()
    assert trader.reserved_cash == D("1000.30")  # 10 x 100.00 + fees 0.30: nothing for the refused one


def test_max_position_is_per_symbol(venue):
    _, _, trader = venue
    limit(trader, max_position_qty=D("25"))
    assert place(trader, side="buy", qty="25", symbol="MSFT", price="200.00").status == "accepted"  # 0 held
    assert refused(trader, qty=D("6")).code == "max_position_exceeded"


def test_max_open_notional_counts_both_sides(venue):
    _, _, trader = venue
    limit(trader, max_open_notional=D("3000.00"))
    place(trader, side="sell", qty="10", price="101.00")  # 1010.00
    place(trader, side="buy", qty="10", price="99.00")  # 990.00 -> 2000.00 open
    error = refused(trader, qty=D("11"), limit_price=D("91.00"))  # + 1001.00
    assert (error.code, error.detail) == ("max_open_notional_exceeded",
                                          "Open orders would reach 3001.00, over the limit of 3000.00.")
    assert refused(trader, side="sell", qty=D("10"), limit_price=D("101.00")).code == "max_open_notional_exceeded"
    assert place(trader, side="buy", qty="10", price="100.00").status == "accepted"  # exactly 3000.00


def test_max_gross_exposure_marks_positions_and_counts_open_buys(venue):
    aapl, _, trader = venue
    limit(trader, max_gross_exposure=D("5000.00"))
    # 20 AAPL marked at the reference 100.00 = 2000.00
    place(trader, side="buy", qty="5", price="200.00", symbol="MSFT")  # + 1000.00 open
    error = refused(trader, qty=D("21"))  # + 2100.00 = 5100.00
    assert (error.code, error.detail) == ("max_gross_exposure_exceeded",
                                          "Positions and open buys would reach 5100.00, over the limit of 5000.00.")
    aapl.last_price = D("50.00")  # the mark falls: the position counts 1000.00
    aapl.save()
    assert place(trader, side="buy", qty="30", price="100.00").status == "accepted"


def test_max_orders_per_second(venue):
    _, _, trader = venue
    limit(trader, max_orders_per_second=3)
    codes = []
    for _ in range(5):
        try:
            order_place(account=trader, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D("99.00"))
            codes.append("accepted")
        except ServiceError as error:
            codes.append(error.code)
    # Five orders in well under a second (or, across a second's edge, at least three accepted)
    assert codes.count("accepted") >= 3 and set(codes) <= {"accepted", "order_rate_exceeded"}
    assert Order.objects.filter(reject_reason="order_rate_exceeded").count() == codes.count("order_rate_exceeded")


def test_the_batch_checks_each_order_against_the_ones_before_it(venue):
    _, _, trader = venue
    limit(trader, max_position_qty=D("30"), max_open_notional=D("1500.00"))
    body = {"symbol": "AAPL", "side": "buy", "type": "limit", "limit_price": D("100.00")}
    sell = {**body, "side": "sell", "limit_price": D("101.00"), "qty": D("6")}
    # 26 held and open, 600.00 open; 36 > 30; 30 held and open, 1000.00 open; 1606.00 > 1500.00
    results = order_place_many(account=trader, orders=[{**body, "qty": D("6")}, {**body, "qty": D("10")},
                                                       {**body, "qty": D("4")}, sell])
    outcome = [(order.status, error.code if error else None) for order, _, error in results]
    assert outcome == [("accepted", None), ("rejected", "max_position_exceeded"), ("accepted", None),
                       ("rejected", "max_open_notional_exceeded")]


def test_daily_loss_refuses_once_todays_pl_reaches_the_limit(venue):
    aapl, _, trader = venue
    limit(trader, max_daily_loss=D("100.00"))
    # Today the trader was granted 20 AAPL at 90.00 and bought 10 at 100.00 (maker fee 0.10); at a
    # mark of 90.00 today's P&L is 30 x 90.00 - 1800.00 - 1000.00 - 0.10 = -100.10.
    bid = place(trader, side="buy", qty="10", price="100.00")
    seller = make_trader("seller", cash="0", positions={aapl: "20"})
    fill(maker=bid, taker=place(seller, side="sell", qty="10", price="100.00"), qty="10", price="100.00")
    aapl.last_price = D("91.00")
    aapl.save()
    assert place(trader, side="buy", qty="1", price="91.00").status == "accepted"  # -90.30: within
    aapl.last_price = D("90.00")
    aapl.save()
    error = refused(trader, limit_price=D("90.00"))
    assert (error.code, error.detail) == ("daily_loss_limit",
                                          "Today's P&L -100.10 has reached the daily loss limit of 100.00.")
