"""Whatever a client sends, the order endpoints answer 2xx/4xx, never a 500."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import Order
from tests.orders.api.fixtures import ORDERS

pytestmark = pytest.mark.django_db

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | \
    st.text(max_size=30)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
decimal_texts = st.decimals(allow_nan=True, allow_infinity=True).map(str) | st.from_regex(
    r"\A-?[0-9]{0,14}(\.[0-9]{0,10})?([eE][+-]?[0-9]{1,6})?\Z")
field_values = {
    "symbol": st.sampled_from(["AAPL", "MSFT", "NOPE", ""]) | json_values,
    "side": st.sampled_from(["buy", "sell"]) | json_values,
    "type": st.sampled_from(["limit", "market", "stop", "stop_limit"]) | json_values,
    "qty": decimal_texts | json_values,
    "limit_price": decimal_texts | json_values,
    "stop_price": decimal_texts | json_values,
    "time_in_force": st.sampled_from(["gtc", "day", "ioc", "fok"]) | json_values,
    "post_only": st.booleans() | json_values,
    "client_order_id": st.text(max_size=70) | json_values,
}
order_bodies = st.fixed_dictionaries({}, optional=field_values) | json_values

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(body=order_bodies)
def test_any_order_body(alice, msft, body):
    response = alice.client.post(ORDERS, body, format="json")
    assert response.status_code in {200, 201, 400, 422}, (body, response.content)
    assert response.json()


@SETTINGS
@given(body=order_bodies)
def test_any_replace_body(alice, body):
    order_id = Order.objects.filter(account=alice.account).values_list("id", flat=True).first() or \
        alice.place().json()["id"]
    response = alice.client.patch(f"{ORDERS}{order_id}/", body, format="json")
    assert response.status_code in {202, 400, 404, 422}, (body, response.content)


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_any_bytes(alice, raw):
    response = alice.client.post(ORDERS, raw, content_type="application/json")
    assert response.status_code in {200, 201, 400, 422}, (raw, response.content)


@SETTINGS
@given(query=st.dictionaries(st.sampled_from(["status", "symbol", "page", "page_size", "order_id", "depth",
                                               "limit", "symbols"]), st.text(max_size=20), max_size=4))
def test_any_query_string(alice, query):
    for path in ["/api/v1/orders/", "/api/v1/trades/", "/api/v1/marketdata/AAPL/book/",
                 "/api/v1/marketdata/AAPL/trades/", "/api/v1/marketdata/quotes/", "/api/v1/positions/"]:
        response = alice.client.get(path, query)
        assert response.status_code in {200, 400, 404}, (path, query, response.content)
