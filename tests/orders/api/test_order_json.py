"""order_json, the fast writer of the order shape, must give exactly what the serializer's
fields give, for every kind of order (the API answers and the order updates use it)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from orders.api.serializers import OrderSerializer, order_json
from orders.models import Order
from tests.orders.api.fixtures import make_instrument

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("changes", [
    {},
    {"client_order_id": "mine-1", "post_only": True, "time_in_force": "day"},
    {"side": "sell", "type": "stop_limit", "stop_price": D("101.00"), "limit_price": D("100.50")},
    {"type": "market", "limit_price": None, "time_in_force": "ioc", "status": "rejected",
     "reject_reason": "no_liquidity"},
    {"status": "partially_filled", "filled_qty": D("3"), "filled_notional": D("300.37")},
    {"status": "filled", "filled_qty": D("10"), "filled_notional": D("1000.00")},
])
def test_order_json_equals_the_serializer_fields(alice, changes):
    values = {"account": alice.account, "instrument_id": alice.account.positions.get().instrument_id, "side": "buy",
              "type": "limit", "qty": D("10"), "limit_price": D("100.00"), "status": "accepted"}
    order = Order.objects.create(**{**values, **changes})
    for row in (order, Order.objects.select_related("instrument").get(pk=order.pk)):
        serializer = OrderSerializer(row)
        assert serializer.data == serializer.field_representation(row)


def test_order_json_on_an_odd_grid_and_unsaved_times(alice):
    btc = make_instrument("BTC", tick_size=D("0.5"), lot_size=D("0.02"), reference_price=D("30000"))
    order = Order(account=alice.account, instrument=btc, side="buy", type="limit", qty=D("0.2"),
                  limit_price=D("30000"), status="accepted", filled_qty=D("0"), filled_notional=D("0"),
                  created_at=datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC), updated_at=None)
    assert order_json(order) == OrderSerializer().field_representation(order)
    assert (order_json(order)["qty"], order_json(order)["limit_price"]) == ("0.20", "30000.0")
