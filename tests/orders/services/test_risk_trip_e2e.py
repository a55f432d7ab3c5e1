"""The daily loss breach end to end with a real engine process: the trader buys, the price trades
down past the limit, a pass of the risk monitor trips the account: frozen (new orders refused with
account_frozen and why), its open orders canceled by the engine, the trip recorded, the books audited clean."""

from decimal import Decimal as D

import pytest

from common.errors import ServiceError
from marketdata.models import Instrument
from orders import audit
from orders.models import Account, Order, RiskEvent, RiskLimit
from orders.services import order_place
from orders.services.risk_monitor import risk_monitor_run
from tests.factories import make_instrument, make_trader
from tests.processes import wait_for

pytestmark = pytest.mark.slow


def limit_order(account, side: str, qty: str, price: str) -> Order:
    order, _ = order_place(account=account, symbol="AAPL", side=side, type="limit", qty=D(qty), limit_price=D(price))
    return order


def settled(order: Order, *statuses: str) -> Order:
    wait_for(lambda: Order.objects.get(pk=order.pk).status in statuses, 30, f"order {order.pk} -> {statuses}")
    return Order.objects.get(pk=order.pk)


def test_a_daily_loss_breach_trips_the_account(engine):
    make_instrument("AAPL")
    trader = make_trader("trader", cash="100000.00")
    maker = make_trader("maker", cash="100000.00", positions={Instrument.objects.get(symbol="AAPL"): "100"})
    other = make_trader("other", cash="100000.00")
    RiskLimit.objects.create(account=trader, max_daily_loss=D("50.00"))

    settled(limit_order(maker, "sell", "10", "100.00"), "new")
    bought = settled(limit_order(trader, "buy", "10", "100.00"), "filled")  # taker fee 0.30
    assert bought.avg_fill_price == D("100.00")
    resting = [settled(limit_order(trader, "buy", "5", "90.00"), "new"),
               settled(limit_order(trader, "buy", "2", "91.00"), "new")]
    assert risk_monitor_run(symbols=["AAPL"]) == []  # today's P&L -0.30

    # The price trades down to 94.00 between two other accounts: 10 x (94.00 - 100.00) - 0.30 = -60.30
    settled(limit_order(other, "buy", "1", "94.00"), "new")
    settled(limit_order(maker, "sell", "1", "94.00"), "filled")
    wait_for(lambda: Instrument.objects.get(symbol="AAPL").last_price == D("94.00"), 30, "last price 94.00")
    heard = []
    trips = risk_monitor_run(symbols=["AAPL"], notify=heard.append)
    assert [(t.account_id, t.code, t.today_pl, sorted(t.canceled)) for t in trips] == [
        (trader.pk, "daily_loss_limit", D("-60.30"), sorted(o.pk for o in resting))]
    assert heard == trips
    for order in resting:
        assert settled(order, "canceled").reserved_cash == D("0")
    trader = Account.objects.get(pk=trader.pk)
    assert (trader.frozen, trader.frozen_reason, trader.reserved_cash) == (
        True, "today's P&L -60.30 reached the daily loss limit of 50.00", D("0.00"))
    event = RiskEvent.objects.get(account=trader)
    assert (event.kind, event.code, event.canceled_orders) == ("trip", "daily_loss_limit", 2)
    with pytest.raises(ServiceError) as refused:
        limit_order(trader, "sell", "10", "94.00")
    assert (refused.value.code, refused.value.detail) == (
        "account_frozen", "The account is frozen: today's P&L -60.30 reached the daily loss limit of 50.00")
    assert risk_monitor_run(symbols=["AAPL"]) == []  # once
    assert audit.audit_run() == []
