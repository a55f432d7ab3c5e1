"""The trade screen follows the private stream: balances, reservations and positions change from the
`account` and `position` pushes, with no REST fetch of them; after the server restarts, the page
resumes the stream from its last seq and gets what happened meanwhile, again without refetching."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from common.decimals import format_cash
from orders.models import Account, Order, Position
from orders.services import account_for_user, order_cancel, order_place
from tests.browser.conftest import login, money, open_trade, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PRIVATE_REST = ("/api/v1/account/", "/api/v1/positions/", "/api/v1/orders/", "/api/v1/trades/")
# The risk panel's figures (marked to market) are not in the private stream: it reads them on each account push.
NOT_STREAMED = ("/api/v1/account/risk/",)
OUTAGE_LOGGED = ("ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE", "WebSocket connection to")


def raw(page, field: str):
    return page.locator(f'#account [data-field="{field}"]')


def test_pushes_keep_the_balances_and_a_restart_resumes_from_the_last_seq(browser, venue, console):
    page = open_trade(login(browser, venue.base_url, "alice", console), "AAPL")
    page.evaluate("window.__sameDocument = true")
    fetched = []
    page.on("request", lambda request: request.method == "GET" and fetched.append(request.url))
    alice = account_for_user(user=User.objects.get(username="alice"))
    bob = account_for_user(user=User.objects.get(username="bob"))

    # An order of hers placed by a script: the reservation shows from the `account` push.
    resting, _ = order_place(account=alice, symbol="AAPL", side="buy", type="limit", qty=D("13"),
                             limit_price=D("176.33"), time_in_force="gtc")
    wait_until(lambda: Order.objects.get(pk=resting.pk).status == "new", 20, "the engine to take the order")
    expect(raw(page, "reserved_cash")).to_have_attribute(
        "data-raw", format_cash(Account.objects.get(pk=alice.pk).reserved_cash))
    expect(page.locator(f'#open-orders tr[data-order-id="{resting.pk}"]')).to_have_count(1)

    # A buy that trades (against the bots' asks, or bob's): cash and the position from the pushes.
    order_place(account=bob, symbol="AAPL", side="sell", type="limit", qty=D("3"), limit_price=D("204.99"),
                time_in_force="gtc")
    taker, _ = order_place(account=alice, symbol="AAPL", side="buy", type="limit", qty=D("3"),
                           limit_price=D("205.00"), time_in_force="ioc")
    wait_until(lambda: Order.objects.get(pk=taker.pk).status == "filled", 20, "the buy to fill")
    held = Position.objects.get(account=alice, instrument__symbol="AAPL").qty
    expect(raw(page, "cash")).to_have_attribute("data-raw", format_cash(Account.objects.get(pk=alice.pk).cash))
    wait_until(lambda: money(page.locator('#positions tr[data-symbol="AAPL"] [data-field="qty"]').text_content())
               == held, 10, "the position to show the fill")
    assert [url for url in fetched if any(path in url for path in PRIVATE_REST)
            and not any(path in url for path in NOT_STREAMED)] == []

    # The server goes away; meanwhile her resting order is canceled by a script and another rests.
    venue.stop()
    expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    order_cancel(account=alice, order_id=resting.pk)
    later, _ = order_place(account=alice, symbol="AAPL", side="buy", type="limit", qty=D("7"),
                           limit_price=D("176.21"), time_in_force="gtc")
    wait_until(lambda: Order.objects.get(pk=later.pk).status == "new"
               and Order.objects.get(pk=resting.pk).status == "canceled", 20, "the engine to settle both")
    fetched.clear()
    venue.start()  # same port
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=20000)
    expect(page.locator(f'#open-orders tr[data-order-id="{later.pk}"]')).to_have_count(1)
    expect(page.locator(f'#open-orders tr[data-order-id="{resting.pk}"]')).to_have_count(0)
    expect(raw(page, "reserved_cash")).to_have_attribute(
        "data-raw", format_cash(Account.objects.get(pk=alice.pk).reserved_cash))
    assert [url for url in fetched if any(path in url for path in PRIVATE_REST)
            and not any(path in url for path in NOT_STREAMED)] == []  # resumed, not refetched
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert console.unexpected(*OUTAGE_LOGGED) == []
