"""POST orders/batch/: each order stands alone; results come back in request order."""

from decimal import Decimal

import pytest

from orders.models import Order
from tests.orders.api.fixtures import Unchanged

pytestmark = pytest.mark.django_db

BATCH = "/api/v1/orders/batch/"


def order(**changes) -> dict:
    body = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": "1", "limit_price": "100.00",
            "time_in_force": "gtc"}
    body.update(changes)
    return body


def test_mixed_results_in_request_order(alice):
    count = Order.objects.count()
    response = alice.client.post(BATCH, {"orders": [
        order(client_order_id="b1"),                                # placed
        order(side="up", client_order_id="b2"),                      # invalid
        order(limit_price="150.00", client_order_id="b3"),          # refused, kept rejected
        order(client_order_id="b1"),                                # retry of the first
        "not an order",                                             # invalid
        order(limit_price="100.001"),                               # off the tick: the service says so
        order(side="sell", qty="5", limit_price="101.00"),          # placed
    ]}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 400, 422, 200, 400, 400, 201]
    first = Order.objects.get(client_order_id="b1")
    assert results[0]["order"]["id"] == first.pk and results[0]["order"]["status"] == "accepted"
    assert "errors" not in results[0]
    assert results[1] == {"status": 400, "errors": {"side": ["Must be one of: buy, sell."]}}
    assert results[2]["errors"]["code"] == "price_out_of_band"
    assert results[2]["order"]["status"] == "rejected"
    assert results[2]["order"]["reject_reason"] == "price_out_of_band"
    assert results[3]["order"]["id"] == first.pk
    assert list(results[4]["errors"]) == ["non_field_errors"]
    assert list(results[5]["errors"]) == ["limit_price"]
    assert results[6]["order"]["side"] == "sell"
    assert Order.objects.count() == count + 3  # b1, the rejected b3, the sell
    # 1 x 100.00 + fee 0.03 reserved for b1
    assert alice.balances()[1] == Decimal("100.03")


def test_one_hundred_orders_are_accepted(alice):
    response = alice.client.post(BATCH, {"orders": [order(client_order_id=f"n{i}") for i in range(100)]},
                                 format="json")
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == [201] * 100


@pytest.mark.parametrize("body, field", [
    ({"orders": [order()] * 101}, "orders"),
    ({"orders": []}, "orders"),
    ({"orders": order()}, "orders"),
    ({"orders": "x"}, "orders"),
    ({"orders": None}, "orders"),
    ({}, "orders"),
    ({"orders": [order()], "atomic": True}, "atomic"),
    ([order()], "non_field_errors"),
])
def test_a_batch_that_is_not_1_to_100_orders_is_400_and_places_nothing(alice, body, field):
    state = Unchanged(alice)
    response = alice.client.post(BATCH, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    state.check()


def test_a_malformed_batch_is_400(alice):
    state = Unchanged(alice)
    response = alice.client.post(BATCH, b'{"orders": [', content_type="application/json")
    assert (response.status_code, list(response.json())) == (400, ["detail"])
    state.check()


def test_buying_power_is_used_up_in_order(alice):
    # 100000 of cash: 9 orders of 100 @ 100.00 (10003.00 each) fit, the 10th does not.
    response = alice.client.post(BATCH, {"orders": [order(qty="100") for _ in range(10)]}, format="json")
    assert [r["status"] for r in response.json()["results"]] == [201] * 9 + [422]
    assert response.json()["results"][9]["errors"]["code"] == "insufficient_buying_power"
    assert alice.balances()[1] == Decimal("90027.00")
