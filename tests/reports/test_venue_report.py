"""The venue's daily report for ops in the admin, with charts, and its 30 days."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.test import Client

from common.errors import ServiceError
from orders.services import order_place
from reports.services import venue_day_build
from reports.venue import venue_day_figures


@pytest.fixture
def ops(db):
    client = Client()
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "ops-pass"))
    return client


def test_the_figures_of_a_day(history):
    with pytest.raises(ServiceError):
        order_place(account=history["buyer"], symbol="AAPL", side="buy", type="limit", qty=D("1"),
                    limit_price=D("150.00"))
    figures = venue_day_figures(day=history["today"])
    assert figures == {
        "day": history["today"].isoformat(), "trades": 2, "notional": "1550.00",
        "symbols": [{"symbol": "AAPL", "trades": 2, "volume": "15", "notional": "1550.00"}],
        # 1000.00: maker 0.10 + taker 0.30; 550.00: maker 0.05 + taker 0.16
        "fees": "0.61", "engine_lag_p99_ms": None, "refusals": {"price_out_of_band": 1},
        "top_accounts": [{"account": "trader", "notional": "1550.00"}, {"account": "seller", "notional": "1000.00"},
                         {"account": "buyer", "notional": "550.00"}],
    }
    assert venue_day_figures(day=history["yesterday"])["trades"] == 0


def test_the_admin_page_shows_the_day_with_charts(history, ops):
    page = ops.get("/admin/reports/venue-day/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "1550.00" in html and "0.61" in html and html.count("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"") == 4
    assert "Trades per symbol" in html and "Top accounts by notional" in html
    stored = venue_day_build(day=history["yesterday"])
    page = ops.get(f"/admin/reports/venue-day/?day={stored.day.isoformat()}")
    assert page.status_code == 200 and "No trades." in page.content.decode()


@pytest.mark.parametrize("raw", ["nonsense", "2999-01-01", "2026-13-01"])
def test_a_bad_day_shows_today_with_a_note(history, ops, raw):
    page = ops.get(f"/admin/reports/venue-day/?day={raw}")
    assert page.status_code == 200 and "showing today" in page.content.decode()


def test_the_30_day_page(history, ops):
    venue_day_build(day=history["yesterday"])
    page = ops.get("/admin/reports/venue-30-days/")
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"") == 5 and html.count("<tr><td><a href") == 30
    assert "Fees collected per day" in html


def test_a_trader_cannot_see_the_venue_report(history):
    client = Client()
    client.force_login(history["trader"].user)
    assert client.get("/admin/reports/venue-day/").status_code == 302  # to the admin's login
