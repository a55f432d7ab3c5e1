"""Bad input to the read, replace, cancel and list endpoints: 400 or 404 as API.md says,
never a 500, and nothing changed."""

import pytest

from orders.models import Order
from tests.orders.api.fixtures import ORDERS, Unchanged

pytestmark = pytest.mark.django_db

BAD_IDS = ["0", "-1", "abc", "1.5", "9" * 19, "9" * 40, "1e3", "%00", "%F0%9F%92%A9", "١٢"]


@pytest.fixture
def order_id(alice) -> int:
    return alice.place(client_order_id="mine").json()["id"]


@pytest.mark.parametrize("raw", BAD_IDS)
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_ids_that_cannot_exist_are_404(alice, order_id, method, raw):
    state = Unchanged(alice)
    response = getattr(alice.client, method)(f"{ORDERS}{raw}/", {"qty": "5"}, format="json")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    state.check()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_an_id_past_the_last_order_is_404(alice, order_id, method):
    state = Unchanged(alice)
    response = getattr(alice.client, method)(f"{ORDERS}{order_id + 1000}/", {"qty": "5"}, format="json")
    assert response.status_code == 404
    state.check()


@pytest.mark.parametrize("raw", ["nope", "x" * 65, "%00", "a%0Ab", "%C3%A9"])
def test_unknown_or_impossible_client_order_ids_are_404(alice, order_id, raw):
    response = alice.client.get(f"{ORDERS}by-client-id/{raw}/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


REPLACE_CASES = [
    ({}, "non_field_errors"),
    ({"qty": None}, "qty"),
    ({"qty": 12.0}, "qty"),
    ({"qty": "0"}, "qty"),
    ({"qty": "-5"}, "qty"),
    ({"qty": "1e12"}, "qty"),
    ({"qty": "5.5"}, "qty"),
    ({"qty": "1.000000001"}, "qty"),
    ({"qty": "NaN"}, "qty"),
    ({"qty": True}, "qty"),
    ({"limit_price": "100.001"}, "limit_price"),
    ({"limit_price": "-1"}, "limit_price"),
    ({"limit_price": "Infinity"}, "limit_price"),
    ({"qty": "5", "side": "sell"}, "side"),
    ({"price": "100.00"}, "price"),
]


@pytest.mark.parametrize("body, field", REPLACE_CASES, ids=[f"{i}-{c[1]}" for i, c in enumerate(REPLACE_CASES)])
def test_bad_replace_bodies_are_400_and_change_nothing(alice, order_id, body, field):
    state = Unchanged(alice)
    response = alice.client.patch(f"{ORDERS}{order_id}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    state.check()


def test_replacing_the_price_of_a_market_order_is_400(alice):
    order = alice.place(type="market", limit_price=None, time_in_force="ioc").json()["id"]
    state = Unchanged(alice)
    response = alice.client.patch(f"{ORDERS}{order}/", {"limit_price": "101.00"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["limit_price"])
    state.check()


@pytest.mark.parametrize("raw", [b"{", b"[1,", b"\xff", b"[" * 100_000, b"null", b"[]"])
def test_malformed_replace_bodies_are_400(alice, order_id, raw):
    state = Unchanged(alice)
    response = alice.client.patch(f"{ORDERS}{order_id}/", raw, content_type="application/json")
    assert response.status_code == 400
    state.check()


LIST_QUERIES = [
    ("?status=bogus", "status"),
    ("?status=OPEN", "status"),
    ("?symbol=ZZZZ", "symbol"),
    ("?symbol=%00", "symbol"),
    ("?symbol=" + "A" * 17, "symbol"),
    ("?symbol=A%20B", "symbol"),
]


@pytest.mark.parametrize("query, field", LIST_QUERIES)
def test_bad_order_list_parameters_are_400(alice, order_id, query, field):
    response = alice.client.get(ORDERS + query)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("query, field", [
    ("?order_id=abc", "order_id"), ("?order_id=0", "order_id"), ("?order_id=-3", "order_id"),
    ("?order_id=" + "9" * 25, "order_id"), ("?order_id=" + "9" * 5000, "order_id"), ("?symbol=NOPE", "symbol"),
    ("?symbol=%F0%9F%92%A9", "symbol"),
])
def test_bad_trade_list_parameters_are_400(alice, query, field):
    response = alice.client.get("/api/v1/trades/" + query)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("query", ["?symbol=ZZZZ", "?symbol=%00"])
def test_cancel_all_with_a_bad_symbol_is_400_and_cancels_nothing(alice, order_id, query):
    state = Unchanged(alice)
    response = alice.client.delete(ORDERS + query)
    assert (response.status_code, list(response.json())) == (400, ["symbol"])
    state.check()
    assert Order.objects.get(pk=order_id).status == "accepted"


@pytest.mark.parametrize("query", ["?page=0", "?page=abc", "?page=99", "?page=" + "9" * 30, "?page=-1"])
def test_pages_that_do_not_exist_are_404(alice, order_id, query):
    response = alice.client.get(ORDERS + query)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_page_size_is_capped_at_1000_and_odd_values_fall_back(alice, order_id):
    for query in ["?page_size=5000", "?page_size=0", "?page_size=-5", "?page_size=abc", "?page_size=1e3"]:
        response = alice.client.get(ORDERS + query)
        assert response.status_code == 200, query
        assert response.json()["count"] == 1


@pytest.mark.parametrize("method", ["put", "post"])
def test_methods_that_do_not_exist_are_405(alice, order_id, method):
    state = Unchanged(alice)
    response = getattr(alice.client, method)(f"{ORDERS}{order_id}/", {}, format="json")
    assert response.status_code == 405
    state.check()
