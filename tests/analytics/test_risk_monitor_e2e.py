"""The risk monitor inside `run_analytics`, with a real engine: a trader's daily loss passes its
limit as the price trades down; the analytics process trips the account (frozen, open orders
canceled by the engine), pushes an `alert` of kind `risk_trip` to the trader's socket only, and
raises a `risk_breach` ops alert. No call into the monitor from the test: only orders."""

import asyncio
from decimal import Decimal as D

import pytest
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token

from analytics.models import OpsAlert
from marketdata.models import Instrument
from orders import audit
from orders.models import Account, Order, RiskEvent, RiskLimit
from orders.services import order_place
from tests.factories import make_instrument, make_trader
from tests.processes import wait_for
from tests.realtime.ws_support import connect, receive_until, subscribe

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def limit_order(account, side: str, qty: str, price: str) -> Order:
    order, _ = order_place(account=account, symbol="AAPL", side=side, type="limit", qty=D(qty), limit_price=D(price))
    return order


def wait_status(order: Order, *statuses: str) -> None:
    wait_for(lambda: Order.objects.get(pk=order.pk).status in statuses, 30, f"order {order.pk} -> {statuses}")


def setup_market():
    aapl = make_instrument("AAPL")
    trader = make_trader("trader", cash="100000.00")
    maker = make_trader("maker", cash="100000.00", positions={aapl: "100"})
    other = make_trader("other", cash="100000.00")
    RiskLimit.objects.create(account=trader, max_daily_loss=D("50.00"))
    tokens = {a.user.username: Token.objects.create(user=a.user).key for a in (trader, other)}
    return trader, maker, other, tokens


def buy_then_rest(trader, maker) -> list[Order]:
    wait_status(limit_order(maker, "sell", "10", "100.00"), "new")
    wait_status(limit_order(trader, "buy", "10", "100.00"), "filled")  # taker fee 0.30
    resting = [limit_order(trader, "buy", "5", "90.00"), limit_order(trader, "buy", "2", "91.00")]
    for order in resting:
        wait_status(order, "new")
    return resting


def trade_down(maker, other) -> None:
    """10 x (94.00 - 100.00) - 0.30 = -60.30 for the trader."""
    wait_status(limit_order(other, "buy", "1", "94.00"), "new")
    wait_status(limit_order(maker, "sell", "1", "94.00"), "filled")


async def test_run_analytics_trips_the_account_on_a_daily_loss_breach(engine, analytics_process):
    trader, maker, other, tokens = await database_sync_to_async(setup_market)()
    analytics_process().start()
    trader_ws = await connect(f"/ws/v1/?token={tokens['trader']}")
    other_ws = await connect(f"/ws/v1/?token={tokens['other']}")
    for ws in (trader_ws, other_ws):
        assert (await subscribe(ws, ["orders"]))["type"] == "subscribed"
    resting = await asyncio.to_thread(buy_then_rest, trader, maker)
    await asyncio.sleep(1.5)  # passes ran on the trader's trade: -0.30 is within the limit
    assert not await database_sync_to_async(lambda: Account.objects.get(pk=trader.pk).frozen)()

    await asyncio.to_thread(trade_down, maker, other)
    await asyncio.to_thread(wait_for, lambda: Account.objects.get(pk=trader.pk).frozen, 30, "the account tripped")
    for order in resting:
        await asyncio.to_thread(wait_status, order, "canceled")
    account = await database_sync_to_async(Account.objects.get)(pk=trader.pk)
    assert (account.frozen_reason, account.reserved_cash) == (
        "today's P&L -60.30 reached the daily loss limit of 50.00", D("0.00"))
    alert, _ = await receive_until(trader_ws, "alert", timeout=15)
    assert (alert["kind"], alert["code"], alert["today_pl"], alert["canceled"]) == ("risk_trip", "daily_loss_limit",
                                                                                    "-60.30", 2)
    assert alert["message"] == ("Trading stopped: today's P&L -60.30 reached the daily loss limit of 50.00. "
                                "2 open order(s) canceled.")
    while not await other_ws.receive_nothing(0.5):
        assert (await other_ws.receive_json_from())["type"] != "alert"
    ops = await database_sync_to_async(lambda: list(OpsAlert.objects.values_list("kind", "subject")))()
    assert ("risk_breach", str(trader.pk)) in ops
    events = await database_sync_to_async(lambda: list(RiskEvent.objects.values_list("kind", "code", "canceled_orders")))()
    assert events == [("trip", "daily_loss_limit", 2)]
    assert await database_sync_to_async(lambda: Instrument.objects.get(symbol="AAPL").last_price)() == D("94.00")
    assert await database_sync_to_async(audit.audit_run)() == []
    for ws in (trader_ws, other_ws):
        await ws.disconnect()
