"""The trade screen's analytics panel and alerts, against a real engine and `run_analytics`: the
figures appear and follow the trades; an alert set in the form fires once, shows as a notice to
its owner only, and turns triggered in the list."""

import sys
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from analytics.models import AlertTrigger
from orders.services import account_for_user, order_place
from django.contrib.auth.models import User
from tests.browser.conftest import login, open_trade, screenshot
from tests.processes import running

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def analytics(venue):
    with running([sys.executable, "manage.py", "run_analytics"], log_name="browser-analytics") as process:
        yield process


def test_analytics_panel_and_an_alert_from_the_trade_screen(browser, venue, analytics, console):
    alice = open_trade(login(browser, venue.base_url, "alice", console), "AAPL")
    bob = open_trade(login(browser, venue.base_url, "bob", console), "AAPL")
    alice.select_option("#alert-form [name=kind]", "price_above")
    alice.fill("#alert-form [name=threshold]", "1")
    alice.click("#alert-form button[type=submit]")
    row = alice.locator("#alerts tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_have_attribute("data-status", "active")
    alice.select_option("#alert-form [name=kind]", "percent_move")
    alice.fill("#alert-form [name=threshold]", "-3")
    alice.click("#alert-form button[type=submit]")
    expect(alice.locator("#alerts-msg")).to_contain_text("above 0")  # a clear refusal, nothing added
    expect(row).to_have_count(1)

    seller = account_for_user(user=User.objects.get(username="alice"))
    buyer = account_for_user(user=User.objects.get(username="bob"))
    order_place(account=seller, symbol="AAPL", side="sell", type="limit", qty=D("3"), limit_price=D("171.00"))
    order_place(account=buyer, symbol="AAPL", side="buy", type="limit", qty=D("3"), limit_price=D("209.00"),
                time_in_force="ioc")

    expect(alice.locator('#analytics [data-field="last"]')).not_to_have_text("—", timeout=30000)
    expect(alice.locator('#analytics [data-field="session_vwap"]')).not_to_have_text("—")
    expect(alice.locator(".banner.info", has_text="AAPL traded at")).to_have_count(1, timeout=30000)
    expect(row.first).to_have_attribute("data-status", "triggered")
    assert AlertTrigger.objects.count() == 1
    expect(bob.locator('#analytics [data-field="session_trades"]')).not_to_have_text("—")
    assert bob.locator(".banner.info", has_text="AAPL traded at").count() == 0
    screenshot(alice, "trade-analytics-and-alert")
    assert console.unexpected("status of 400") == []  # the refused alert
