"""Reading, listing, replacing and cancelling my orders."""

import json
from decimal import Decimal

import pytest

from common.redis import get_redis
from orders.bus import shard_for, stream_for_shard
from orders.models import Order
from tests.orders.api.fixtures import ORDERS

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    return [o["id"] for o in response.json()["results"]]


@pytest.fixture
def book(alice, msft):
    """Alice's orders: two open AAPL buys, one open MSFT sell... and one rejected AAPL buy."""
    from orders.services import position_grant

    position_grant(account=alice.account, instrument=msft, qty=Decimal("10"), avg_price=Decimal("400.00"))
    placed = {
        "a1": alice.place(client_order_id="a1").json()["id"],
        "m1": alice.place(symbol="MSFT", side="sell", qty="5", limit_price="401.00", client_order_id="m1").json()["id"],
        "a2": alice.place(limit_price="99.00", client_order_id="a2").json()["id"],
    }
    assert alice.place(limit_price="150.00", client_order_id="rej").status_code == 422
    placed["rej"] = Order.objects.get(client_order_id="rej", status="rejected").pk
    return placed


def test_list_is_newest_first_and_defaults_to_all(alice, book):
    response = alice.client.get(ORDERS)
    assert response.status_code == 200
    assert response.json()["count"] == 4
    assert ids(response) == [book["rej"], book["a2"], book["m1"], book["a1"]]


@pytest.mark.parametrize("query, expected", [
    ("?status=open", ["a2", "m1", "a1"]),
    ("?status=closed", ["rej"]),
    ("?status=all", ["rej", "a2", "m1", "a1"]),
    ("?symbol=MSFT", ["m1"]),
    ("?status=open&symbol=AAPL", ["a2", "a1"]),
    ("?status=closed&symbol=MSFT", []),
    ("?symbol=", ["rej", "a2", "m1", "a1"]),
])
def test_list_filters(alice, book, query, expected):
    assert ids(alice.client.get(ORDERS + query)) == [book[k] for k in expected]


def test_one_order_by_id_and_by_client_order_id(alice, book):
    by_id = alice.client.get(f"{ORDERS}{book['m1']}/")
    by_client_id = alice.client.get(f"{ORDERS}by-client-id/m1/")
    assert by_id.status_code == by_client_id.status_code == 200
    assert by_id.json() == by_client_id.json()
    assert (by_id.json()["symbol"], by_id.json()["side"], by_id.json()["limit_price"]) == ("MSFT", "sell", "401.00")


def test_client_order_ids_with_any_printable_character_round_trip(alice):
    odd = "a b/c?d#e%f&g=h~!"
    assert alice.place(client_order_id=odd).status_code == 201
    from urllib.parse import quote

    response = alice.client.get(f"{ORDERS}by-client-id/{quote(odd, safe='')}/")
    assert response.status_code == 200
    assert response.json()["client_order_id"] == odd


def test_cancel_is_202_pending_cancel_and_is_sent_to_the_engine(alice, book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.client.delete(f"{ORDERS}{book['a1']}/")
    assert response.status_code == 202
    assert (response.json()["id"], response.json()["status"]) == (book["a1"], "pending_cancel")
    stream = stream_for_shard(shard_for("AAPL"))
    commands = [json.loads(f[b"c"]) for _, f in get_redis().xrevrange(stream, count=50)]
    assert {"kind": "cancel", "order_id": book["a1"], "symbol": "AAPL"} in commands
    # Cancelling again is harmless: still pending.
    again = alice.client.delete(f"{ORDERS}{book['a1']}/")
    assert (again.status_code, again.json()["status"]) == (202, "pending_cancel")


def test_cancelling_a_closed_order_is_refused(alice, book):
    response = alice.client.delete(f"{ORDERS}{book['rej']}/")
    assert response.status_code == 422
    assert response.json()["code"] == "order_not_open"
    assert Order.objects.get(pk=book["rej"]).status == "rejected"


def test_cancel_all_cancels_my_open_orders(alice, book):
    response = alice.client.delete(ORDERS)
    assert response.status_code == 202
    assert response.json() == {"canceled": sorted([book["a1"], book["a2"], book["m1"]])}
    assert set(Order.objects.filter(account=alice.account).values_list("status", flat=True)) == \
        {"pending_cancel", "rejected"}
    assert alice.client.delete(ORDERS).json() == {"canceled": []}


def test_cancel_all_narrowed_to_a_symbol(alice, book):
    response = alice.client.delete(ORDERS + "?symbol=MSFT")
    assert (response.status_code, response.json()) == (202, {"canceled": [book["m1"]]})
    assert Order.objects.get(pk=book["a1"]).status == "accepted"


def test_replace_is_202_and_reserves_for_the_larger_order(alice, book):
    response = alice.client.patch(f"{ORDERS}{book['a1']}/", {"qty": "20"}, format="json")
    assert response.status_code == 202
    assert response.json()["id"] == book["a1"]
    order = Order.objects.get(pk=book["a1"])
    assert (order.replace_qty, order.replace_limit_price) == (Decimal("20"), Decimal("100.00"))
    # a1 now holds 20 x 100.00 + 0.60 fee; a2 still 10 x 99.00 + 0.30 (0.297 rounded up)
    assert order.reserved_cash == Decimal("2000.60")
    assert alice.client.get("/api/v1/account/").json()["reserved_cash"] == "2990.90"


def test_replace_the_price_only(alice, book):
    response = alice.client.patch(f"{ORDERS}{book['a2']}/", {"limit_price": "98.50"}, format="json")
    assert response.status_code == 202
    order = Order.objects.get(pk=book["a2"])
    assert (order.replace_qty, order.replace_limit_price) == (Decimal("10"), Decimal("98.50"))


def test_a_second_replace_waits_for_the_first(alice, book):
    assert alice.client.patch(f"{ORDERS}{book['a1']}/", {"qty": "11"}, format="json").status_code == 202
    response = alice.client.patch(f"{ORDERS}{book['a1']}/", {"qty": "12"}, format="json")
    assert (response.status_code, response.json()["code"]) == (422, "replace_pending")


@pytest.mark.parametrize("body, code", [
    ({"qty": "2000"}, "insufficient_buying_power"),
    ({"limit_price": "150.00"}, "price_out_of_band"),
    ({"qty": "100001"}, "size_limit"),
])
def test_replace_refusals_are_422_and_change_nothing(alice, book, body, code):
    from tests.orders.api.fixtures import Unchanged

    state = Unchanged(alice)
    response = alice.client.patch(f"{ORDERS}{book['a1']}/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (422, code)
    state.check()


def test_replacing_a_closed_order_is_refused(alice, book):
    response = alice.client.patch(f"{ORDERS}{book['rej']}/", {"qty": "5"}, format="json")
    assert (response.status_code, response.json()["code"]) == (422, "order_not_open")
