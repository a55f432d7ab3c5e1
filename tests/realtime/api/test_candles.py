"""GET marketdata/{symbol}/candles/: oldest first, on the instrument's grid."""

from datetime import datetime
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from marketdata.candles import TradePrint, candles_fold
from tests.factories import make_instrument

pytestmark = pytest.mark.django_db


@pytest.fixture
def aapl():
    return make_instrument("AAPL")


def test_rest_candles_oldest_first_on_the_grid(aapl):
    candles_fold(instrument=aapl, trades=[
        TradePrint(minute + 1, D(f"{100 + minute}.5"), D("1"), datetime.fromisoformat(f"2026-05-04T13:0{minute}:10+00:00"))
        for minute in range(5)])
    body = APIClient().get("/api/v1/marketdata/AAPL/candles/?interval=1m&limit=2").json()
    assert body == [
        {"t": "2026-05-04T13:03:00Z", "o": "103.50", "h": "103.50", "l": "103.50", "c": "103.50", "v": "1"},
        {"t": "2026-05-04T13:04:00Z", "o": "104.50", "h": "104.50", "l": "104.50", "c": "104.50", "v": "1"},
    ]
    five = APIClient().get("/api/v1/marketdata/AAPL/candles/?interval=5m").json()
    assert five == [{"t": "2026-05-04T13:00:00Z", "o": "100.50", "h": "104.50", "l": "100.50", "c": "104.50", "v": "5"}]
    assert APIClient().get("/api/v1/marketdata/AAPL/candles/").status_code == 200


@pytest.mark.parametrize("query", ["interval=2m", "interval=1d", "limit=0", "limit=1001", "limit=x"])
def test_bad_candle_parameters_are_400(aapl, query):
    assert APIClient().get(f"/api/v1/marketdata/AAPL/candles/?{query}").status_code == 400


def test_unknown_symbol_candles_are_404(aapl):
    assert APIClient().get("/api/v1/marketdata/NOPE/candles/").status_code == 404
