"""Pagination shape and limits; per-user throttling with 429 and Retry-After; unknown paths."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.orders.api.fixtures import ORDERS

pytestmark = pytest.mark.django_db


def test_orders_are_paginated_with_links(alice):
    placed = [alice.place(qty="1").json()["id"] for _ in range(5)]
    first = alice.client.get(ORDERS + "?page_size=2").json()
    assert (first["count"], first["previous"]) == (5, None)
    assert [o["id"] for o in first["results"]] == placed[::-1][:2]
    assert first["next"] == "http://testserver/api/v1/orders/?page=2&page_size=2"
    last = alice.client.get(ORDERS + "?page_size=2&page=3").json()
    assert [o["id"] for o in last["results"]] == [placed[0]]
    assert last["next"] is None and last["previous"].endswith("page=2&page_size=2")


def test_the_default_page_is_100(alice):
    from orders.models import Order

    Order.objects.bulk_create([Order(account=alice.account, instrument_id=alice.account.positions.get().instrument_id,
                                     side="buy", type="limit", qty=1, limit_price=1, status="rejected")
                               for _ in range(150)])
    page = alice.client.get(ORDERS).json()
    assert (page["count"], len(page["results"])) == (150, 100)
    assert len(alice.client.get(ORDERS + "?page_size=1000").json()["results"]) == 150


@override_settings(API_THROTTLE_RATE="3/min")
def test_a_user_over_the_rate_gets_429_with_retry_after(alice, bob):
    statuses = [alice.client.get("/api/v1/account/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = alice.client.get("/api/v1/account/")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert "detail" in throttled.json()
    # Writes are throttled too, and nothing is placed.
    assert alice.place().status_code == 429
    # The rate is per user: Bob is not affected.
    assert bob.client.get("/api/v1/account/").status_code == 200


@override_settings(API_THROTTLE_RATE="2/min")
def test_anonymous_clients_are_throttled_by_address(aapl):
    client = APIClient()
    assert [client.get("/api/v1/instruments/").status_code for _ in range(3)] == [200, 200, 429]
    other = APIClient(REMOTE_ADDR="10.0.0.2")
    assert other.get("/api/v1/instruments/").status_code == 200


@override_settings(API_THROTTLE_RATE="2/min")
def test_the_token_endpoint_is_throttled(aapl):
    client = APIClient()
    statuses = [client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json").status_code
                for _ in range(3)]
    assert statuses == [400, 400, 429]


@pytest.mark.parametrize("method, path", [
    ("get", "/api/v1/nothing-here/"),
    ("post", "/api/v1/orders"),  # no trailing slash: not a redirect, not a 500
    ("get", "/api/v2/orders/"),
    ("get", "/api/v1/orders/by-client-id/a%0Ab/"),
    ("delete", "/api/v1/orders/1%0A/"),
])
def test_unknown_api_paths_are_json_404(alice, method, path):
    response = getattr(alice.client, method)(path, {}, format="json")
    assert response.status_code == 404
    assert "detail" in response.json()
