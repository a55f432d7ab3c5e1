"""GET instruments/: public, paginated, steps written as people write them."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from marketdata.models import Instrument
from tests.orders.api.fixtures import make_instrument

pytestmark = pytest.mark.django_db


def test_instruments_are_listed_for_anyone_by_symbol(aapl, msft):
    make_instrument("BTC", name="Bitcoin", tick_size=Decimal("0.5"), lot_size=Decimal("0.02"),
                    status=Instrument.Status.HALTED)
    response = APIClient().get("/api/v1/instruments/")
    assert response.status_code == 200
    assert response.json() == {"count": 3, "next": None, "previous": None, "results": [
        {"symbol": "AAPL", "name": "AAPL Inc.", "tick_size": "0.01", "lot_size": "1", "status": "trading"},
        {"symbol": "BTC", "name": "Bitcoin", "tick_size": "0.5", "lot_size": "0.02", "status": "halted"},
        {"symbol": "MSFT", "name": "Microsoft Corp.", "tick_size": "0.01", "lot_size": "1", "status": "trading"},
    ]}


def test_instruments_page(aapl, msft):
    page = APIClient().get("/api/v1/instruments/?page_size=1&page=2").json()
    assert (page["count"], [i["symbol"] for i in page["results"]]) == (2, ["MSFT"])


def test_an_authenticated_client_sees_the_same(alice, msft):
    assert alice.client.get("/api/v1/instruments/").json()["count"] == 2


def test_instruments_are_read_only(alice):
    assert alice.client.post("/api/v1/instruments/", {"symbol": "X"}, format="json").status_code == 405
    assert APIClient().delete("/api/v1/instruments/").status_code == 405
