"""The Alpaca surface refuses past an account's risk limits like every entry path (its 422 with the
limit's message), the order kept rejected with the limit's code."""

from decimal import Decimal as D

import pytest
from django.test import Client

from orders.models import Order, RiskLimit
from tests.factories import make_instrument, make_trader
from tests.gateways.alpaca.conftest import Keys

pytestmark = pytest.mark.django_db

SELL = {"symbol": "AAPL", "qty": "6", "side": "sell", "type": "limit", "time_in_force": "day", "limit_price": "100.00"}


def test_a_limit_refuses_on_v2_orders():
    aapl = make_instrument("AAPL")
    keys = Keys(make_trader("seller", cash="10000.00", positions={aapl: "100"}))
    RiskLimit.objects.create(account=keys.account, max_open_notional=D("500.00"))
    answer = Client(headers=keys.headers()).post("/v2/orders", SELL, content_type="application/json")
    assert (answer.status_code, answer.json()) == (
        422, {"code": 42210000, "message": "Open orders would reach 600.00, over the limit of 500.00."})
    assert list(Order.objects.values_list("status", "reject_reason")) == [("rejected", "max_open_notional_exceeded")]
