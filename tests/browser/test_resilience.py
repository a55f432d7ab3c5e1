"""The server goes away and comes back: the page says so, keeps retrying, reconnects by itself
and resyncs what happened meanwhile (here an order placed while it was away)."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from orders.models import Order
from orders.services import account_for_user, order_place
from tests.browser.conftest import login, open_trade, screenshot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OUTAGE_LOGGED = ("ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE", "WebSocket connection to")


def test_page_reconnects_and_resyncs_after_the_server_restarts(browser, venue, console):
    page = open_trade(login(browser, venue.base_url, "alice", console), "AAPL")
    page.evaluate("window.__sameDocument = true")

    venue.stop()
    expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    expect(page.locator("#conn")).to_contain_text("Reconnecting")
    expect(page.locator("#notices")).to_contain_text("Live updates interrupted")
    expect(page.locator("#ladder")).to_have_attribute("data-state", "stale")
    page.fill("#t-qty", "5")
    page.fill("#t-limit", "180.00")
    page.click("#t-submit")
    expect(page.locator("#ticket-msg")).to_contain_text("The server is unreachable")
    screenshot(page, "trade-reconnecting")

    # Meanwhile an order of hers reaches the engine by another way (e.g. the API from a script).
    alice = account_for_user(user=User.objects.get(username="alice"))
    order, _ = order_place(account=alice, symbol="AAPL", side="buy", type="limit", qty=D("11"),
                           limit_price=D("175.55"), time_in_force="gtc")
    wait_until(lambda: Order.objects.get(pk=order.pk).status == "new", 20, "the engine to take the order")

    venue.start()  # same port
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=20000)
    expect(page.locator("#notices")).not_to_contain_text("Live updates interrupted")
    expect(page.locator(f'#open-orders tr[data-order-id="{order.pk}"]')).to_have_count(1)
    expect(page.locator('#ladder tr.level.bid[data-price="175.55"] td.mine').first).to_have_text("11")
    expect(page.locator("#ladder")).to_have_attribute("data-state", "live")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    screenshot(page, "trade-reconnected")
    assert console.unexpected(*OUTAGE_LOGGED) == []
