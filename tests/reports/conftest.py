"""A trader with two days of history: yesterday funded and granted 20 AAPL at 90.00; today a buy
of 10 at 100.00 (taker), a sale of 5 at 110.00 (maker), a withdrawal of 100.00 and a deposit of 50.00."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from orders.models import LedgerEntry, PositionTransfer
from orders.risk_selectors import day_bounds, trading_day
from orders.services import account_deposit, account_withdraw
from tests.factories import make_instrument, make_trader
from tests.orders.support import fill, place


@pytest.fixture
def history(db):
    aapl = make_instrument("AAPL")
    trader = make_trader("trader", cash="10000.00", positions={aapl: "20"}, price="90.00")
    today = trading_day()
    yesterday = today - timedelta(days=1)
    noon = day_bounds(day=yesterday)[0] + timedelta(hours=12)
    LedgerEntry.objects.update(created_at=noon)
    PositionTransfer.objects.update(created_at=noon)
    seller = make_trader("seller", cash="0", positions={aapl: "50"})
    buyer = make_trader("buyer", cash="10000.00")
    ask = place(seller, side="sell", qty="10", price="100.00")
    fill(maker=ask, taker=place(trader, side="buy", qty="10", price="100.00"), qty="10", price="100.00")
    offer = place(trader, side="sell", qty="5", price="110.00")
    fill(maker=offer, taker=place(buyer, side="buy", qty="5", price="110.00"), qty="5", price="110.00")
    account_withdraw(account=trader, amount=D("100.00"))
    account_deposit(account=trader, amount=D("50.00"))
    trader.refresh_from_db()
    return {"aapl": aapl, "trader": trader, "seller": seller, "buyer": buyer, "today": today, "yesterday": yesterday}


def client_of(account) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=account.user)
    return client
