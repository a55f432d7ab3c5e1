"""Two accounts never see or touch each other's orders, fills, positions or balances."""

from decimal import Decimal

import pytest

from orders.models import Order, Trade
from tests.orders.api.fixtures import ORDERS, Unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_order(alice) -> Order:
    return Order.objects.get(pk=alice.place(client_order_id="alice-1").json()["id"])


@pytest.mark.parametrize("method, body", [("get", None), ("patch", {"qty": "5"}), ("delete", None)])
def test_another_accounts_order_is_404_and_untouched(alice, bob, alices_order, method, body):
    state = Unchanged(alice, bob)
    response = getattr(bob.client, method)(f"{ORDERS}{alices_order.pk}/", body, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Order not found."}
    state.check()
    # ... and the owner still sees it as it was.
    assert alice.client.get(f"{ORDERS}{alices_order.pk}/").json()["status"] == "accepted"


def test_another_accounts_client_order_id_is_404(bob, alices_order):
    assert bob.client.get(f"{ORDERS}by-client-id/alice-1/").status_code == 404


def test_reusing_another_accounts_client_order_id_places_a_new_order(bob, alices_order):
    response = bob.place(client_order_id="alice-1")
    assert response.status_code == 201
    assert response.json()["id"] != alices_order.pk


def test_lists_hold_only_my_orders(alice, bob, alices_order):
    bobs = bob.place().json()["id"]
    assert [o["id"] for o in alice.client.get(ORDERS).json()["results"]] == [alices_order.pk]
    assert [o["id"] for o in bob.client.get(ORDERS).json()["results"]] == [bobs]


def test_cancel_all_cancels_only_mine(alice, bob, alices_order):
    bobs = bob.place().json()["id"]
    assert bob.client.delete(ORDERS).json() == {"canceled": [bobs]}
    assert Order.objects.get(pk=alices_order.pk).status == "accepted"


def test_batch_orders_belong_to_the_caller(alice, bob):
    bob.client.post("/api/v1/orders/batch/", {"orders": [{"symbol": "AAPL", "side": "buy", "type": "limit",
                    "qty": "1", "limit_price": "100.00", "time_in_force": "gtc"}]}, format="json")
    assert set(Order.objects.values_list("account", flat=True)) == {bob.account.pk}


def test_accounts_positions_and_fills_are_my_own(alice, bob, alices_order):
    bobs_sell = Order.objects.get(pk=bob.place(side="sell", qty="10").json()["id"])
    Trade.objects.create(instrument=alices_order.instrument, price=Decimal("100"), qty=Decimal("10"),
                         aggressor_side="buy", maker_order=bobs_sell, taker_order=alices_order, seq=1)
    alice_account, bob_account = alice.client.get("/api/v1/account/").json(), bob.client.get("/api/v1/account/").json()
    assert (alice_account["id"], bob_account["id"]) == (alice.account.pk, bob.account.pk)
    assert (alice_account["reserved_cash"], bob_account["reserved_cash"]) == ("1000.30", "0.00")
    assert [p["qty"] for p in alice.client.get("/api/v1/positions/").json()["results"]] == ["100"]
    assert [p["reserved_qty"] for p in bob.client.get("/api/v1/positions/").json()["results"]] == ["10"]
    alice_fills = alice.client.get("/api/v1/trades/").json()["results"]
    bob_fills = bob.client.get("/api/v1/trades/").json()["results"]
    assert [(f["order_id"], f["liquidity"]) for f in alice_fills] == [(alices_order.pk, "taker")]
    assert [(f["order_id"], f["liquidity"]) for f in bob_fills] == [(bobs_sell.pk, "maker")]
    assert bob.client.get(f"/api/v1/trades/?order_id={alices_order.pk}").json()["count"] == 0
