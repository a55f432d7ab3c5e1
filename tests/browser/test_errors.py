"""Bad ticket input is caught in the page before anything is sent; the server's refusals
(400, 422, an ended session) read in place, in words; the console stays free of script errors."""

from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from marketdata.models import Instrument
from orders.services.ops import instrument_halt
from tests.browser.conftest import login, open_trade, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What Chromium itself logs for the refused requests this test provokes (not script errors).
REFUSALS_LOGGED = ("status of 400", "status of 401", "status of 403", "status of 422")


def fill_ticket(page, *, side="buy", type="limit", tif="gtc", qty="", limit="", stop=""):
    page.click(f"label[for=side-{side}]")
    page.select_option("#t-type", type)
    page.select_option("#t-tif", tif)
    page.fill("#t-qty", qty)
    if page.is_visible("#t-limit"):
        page.fill("#t-limit", limit)
    if page.is_visible("#t-stop"):
        page.fill("#t-stop", stop)


def test_ticket_checks_input_and_shows_the_servers_refusals_in_place(browser, venue, console):
    page = open_trade(login(browser, venue.base_url, "alice", console), "AAPL")
    posts = []
    page.on("request", lambda r: r.method == "POST" and "/api/v1/orders/" in r.url and posts.append(r.url))
    message = page.locator("#ticket-msg")

    # Caught in the page: nothing is sent.
    fill_ticket(page, qty="1.5", limit="180.00")
    page.keyboard.press("Enter")
    expect(page.locator("#err-qty")).to_have_text("Quantity must be a multiple of the lot size 1.")
    expect(page.locator("#t-qty")).to_have_attribute("aria-invalid", "true")
    expect(message).to_contain_text("nothing was sent")
    fill_ticket(page, qty="10", limit="180.005")
    page.click("#t-submit")
    expect(page.locator("#err-limit_price")).to_have_text("Limit price must be a multiple of the tick size 0.01.")
    fill_ticket(page, qty="10", limit="")
    page.click("#t-submit")
    expect(page.locator("#err-limit_price")).to_have_text("Enter a limit price.")
    fill_ticket(page, type="stop_limit", qty="10", limit="180.00", stop="abc")
    page.click("#t-submit")
    expect(page.locator("#err-stop_price")).to_have_text("Stop price must be a number like 0.01.")
    fill_ticket(page, qty="-5", limit="180.00")
    page.click("#t-submit")
    expect(page.locator("#err-qty")).to_have_text("Quantity must be more than zero.")
    fill_ticket(page, tif="ioc", qty="5", limit="180.00")
    expect(page.locator("#t-post")).to_be_disabled()
    assert posts == []

    # Keys: Esc leaves the field, S turns the ticket to a sell with the quantity focused.
    page.focus("#t-qty")
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    expect(page.locator("#side-sell")).to_be_checked()
    expect(page.locator("#t-qty")).to_be_focused()
    expect(page.locator("#t-submit")).to_have_text("Sell AAPL")
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    expect(page.locator("#t-submit")).to_have_text("Buy AAPL")

    # Refused by risk (422): the reason in words, and the rejected order in the history.
    fill_ticket(page, qty="10", limit="250.00")
    page.click("#t-submit")
    expect(message).to_contain_text("Refused (price out of band): Price must lie within")
    page.click("#tab-history")
    expect(page.locator("#order-history tbody tr").first).to_contain_text("price out of band")
    fill_ticket(page, side="sell", qty="5000", limit="189.00")
    page.click("#t-submit")
    expect(message).to_contain_text("Refused (insufficient position)")
    screenshot(page, "trade-refused-order")

    # Invalid for the server (400) though the page's copy of the rules passed it: ops made the
    # tick coarser after the page loaded. The server's message sits under the field.
    Instrument.objects.filter(symbol="AAPL").update(tick_size=D("0.05"))
    fill_ticket(page, side="buy", qty="10", limit="180.01")
    page.click("#t-submit")
    expect(page.locator("#err-limit_price")).to_contain_text("tick size 0.05")
    expect(message).to_contain_text("Not accepted")
    Instrument.objects.filter(symbol="AAPL").update(tick_size=D("0.01"))

    # Halted by ops meanwhile: refused with the reason.
    instrument_halt(instrument=Instrument.objects.get(symbol="AAPL"))
    fill_ticket(page, qty="10", limit="185.00")
    page.click("#t-submit")
    expect(message).to_contain_text("AAPL is halted")

    # The session ends (logged out elsewhere): the page says so and offers the login.
    page.context.clear_cookies()
    page.click("#t-submit")
    expect(message).to_contain_text("Your session has ended")
    expect(page.locator("#notices")).to_contain_text("Log in again")
    expect(page.locator("#notices a", has_text="Log in")).to_have_attribute("href", "/accounts/login/?next=%2Ftrade%2FAAPL%2F")
    screenshot(page, "trade-errors")
    assert console.unexpected(*REFUSALS_LOGGED) == []
