"""A demo trader trades through the browser; a second trader's browser sees the same book.
Everything updates in place: the pages are never reloaded."""

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from orders.services import account_for_user, order_place
from tests.browser.conftest import login, money, open_trade, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# AAPL: reference 190.00, band 10% (171.00-209.00), tick 0.01, lot 1. An odd price and size
# no bot quotes, so the level is ours alone.
REST_PRICE, REST_QTY = "176.77", "37"
NEW_PRICE, NEW_QTY = "176.81", "41"


def ticket(page, *, side: str, type: str, qty: str, limit: str | None = None, tif: str = "gtc"):
    page.click(f"label[for=side-{side}]")
    page.select_option("#t-type", type)
    page.select_option("#t-tif", tif)
    page.fill("#t-qty", qty)
    if limit is not None:
        page.fill("#t-limit", limit)
    page.click("#t-submit")


def account_value(page, field: str) -> D:
    return money(page.locator(f'#account [data-field="{field}"]').text_content())


def test_trader_rests_cancels_and_fills_while_another_trader_watches_the_book(browser, venue, console):
    # The watchlist first: a symbol is chosen from the keyboard.
    alice = login(browser, venue.base_url, "alice", console)
    expect(alice.locator('#watchlist tr[data-symbol="AAPL"]')).to_be_visible()
    expect(alice.locator("#conn")).to_have_attribute("data-state", "live")
    screenshot(alice, "markets")
    alice.keyboard.press("/")
    alice.keyboard.type("aapl")
    alice.keyboard.press("Enter")
    alice.wait_for_url("**/trade/AAPL/")
    open_trade(alice, None)
    bob = open_trade(login(browser, venue.base_url, "bob", console), "AAPL")
    bob_watchlist = bob.context.new_page()
    console.watch(bob_watchlist)
    bob_watchlist.goto("/")
    expect(bob_watchlist.locator("#conn")).to_have_attribute("data-state", "live")
    for page in (alice, bob):
        page.evaluate("window.__sameDocument = true")
    reserved_before = account_value(alice, "reserved_cash")

    # A limit buy below the market rests: open orders, my size in the ladder, reserved cash.
    ticket(alice, side="buy", type="limit", qty=REST_QTY, limit=REST_PRICE)
    expect(alice.locator("#ticket-msg")).to_contain_text("Order ")
    resting = alice.locator("#open-orders tbody tr", has_text=REST_PRICE)
    expect(resting).to_have_count(1)
    expect(resting.locator(".status")).to_have_text("New")
    alice_level = alice.locator(f'#ladder tr.level.bid[data-price="{REST_PRICE}"]')
    expect(alice_level.locator("td.mine").first).to_have_text(REST_QTY)
    expect(alice_level).to_have_attribute("data-qty", REST_QTY)
    bob_level = bob.locator(f'#ladder tr.level.bid[data-price="{REST_PRICE}"]')
    expect(bob_level).to_have_attribute("data-qty", REST_QTY)  # the other trader sees it...
    expect(bob_level.locator("td.mine").first).to_have_text("")  # ...but not as his
    expect(alice.locator('#account [data-field="reserved_cash"]')).not_to_have_text(f"{reserved_before:,.2f}")
    screenshot(alice, "trade-resting-order")
    screenshot(bob, "trade-second-trader-sees-the-bid")

    # Modify in the row: a new size and price; both ladders follow.
    order_id = resting.get_attribute("data-order-id")
    resting.get_by_role("button", name=f"Modify order {order_id}").click()
    editing = alice.locator(f'#open-orders tr.editing[data-order-id="{order_id}"]')
    editing.locator('input[name="qty"]').fill(NEW_QTY)
    editing.locator('input[name="limit_price"]').fill(NEW_PRICE)
    editing.locator('input[name="limit_price"]').press("Enter")
    expect(alice.locator("#blotter-msg")).to_contain_text(f"Replace of order {order_id} requested")
    expect(bob.locator(f'#ladder tr.level.bid[data-price="{NEW_PRICE}"]')).to_have_attribute("data-qty", NEW_QTY)
    expect(bob_level).to_have_count(0)
    resting = alice.locator(f'#open-orders tbody tr[data-order-id="{order_id}"]')
    expect(resting).to_contain_text(NEW_PRICE)
    alice_level = alice.locator(f'#ladder tr.level.bid[data-price="{NEW_PRICE}"]')
    bob_level = bob.locator(f'#ladder tr.level.bid[data-price="{NEW_PRICE}"]')
    expect(alice_level.locator("td.mine").first).to_have_text(NEW_QTY)

    # Cancel: gone from open orders and from both ladders; canceled in the history.
    resting.get_by_role("button", name=f"Cancel order {order_id}").click()
    expect(alice.locator(f'#open-orders tbody tr[data-order-id="{order_id}"]')).to_have_count(0)
    expect(alice_level).to_have_count(0)
    expect(bob_level).to_have_count(0)
    alice.click("#tab-history")
    expect(alice.locator(f'#order-history tr[data-order-id="{order_id}"] .status')).to_have_text("Canceled")
    expect(alice.locator('#account [data-field="reserved_cash"]')).to_have_text(f"{reserved_before:,.2f}")

    # A marketable order against a bot's ask fills: the fill, the position and the cash change.
    if not venue.bots:  # no bot process yet: the bot account's resting ask is placed for it
        bot = account_for_user(user=User.objects.get(username="bot-mm"))
        order_place(account=bot, symbol="AAPL", side="sell", type="limit", qty=D("50"), limit_price=D("190.50"),
                    time_in_force="gtc")
    expect(alice.locator("#ladder tr.level.ask").first).to_be_visible(timeout=20000)
    cash_before = account_value(alice, "cash")
    alice.click("#tab-positions")
    position = alice.locator('#positions tr[data-symbol="AAPL"] [data-field="qty"]')
    qty_before = money(position.text_content())
    ticket(alice, side="buy", type="market", qty="3", tif="ioc")
    expect(alice.locator("#ticket-msg")).to_contain_text("market")
    expect(position).to_have_text(f"{qty_before + 3:,}")
    alice.click("#tab-fills")
    fill = alice.locator("#fills tbody tr").first
    expect(fill).to_contain_text("AAPL")
    expect(fill).to_contain_text("taker")
    price = money(fill.locator("td").nth(3).text_content())
    fee = money(fill.locator("td").nth(5).text_content())
    expect(alice.locator('#account [data-field="cash"]')).to_have_text(f"{cash_before - 3 * price - fee:,.2f}")
    alice.click("#tab-history")
    expect(alice.locator("#order-history tbody tr").first.locator(".status")).to_have_text("Filled")
    # The other trader's watchlist shows the trade's price as the last, with the change since the open.
    last = bob_watchlist.locator('#watchlist tr[data-symbol="AAPL"] td').nth(3)
    if not venue.bots:  # with bots trading, a later trade may already have moved the last price
        expect(last).to_have_text(f"{price:,}")
    expect(last).not_to_have_text("—")
    expect(bob_watchlist.locator('#watchlist tr[data-symbol="AAPL"] td').nth(4)).to_have_text(re.compile(r"^[+-]?\d"))
    screenshot(alice, "trade-after-fill")

    # Cancel all of the symbol, confirmed by a second press.
    alice.click("#tab-open")
    ticket(alice, side="buy", type="limit", qty="5", limit="175.00")
    ticket(alice, side="sell", type="limit", qty="5", limit="205.00")
    expect(alice.locator("#open-orders tbody tr")).to_have_count(2)
    alice.click("#cancel-symbol")
    expect(alice.locator("#cancel-symbol")).to_have_text("Confirm: cancel 2")
    alice.click("#cancel-symbol")
    expect(alice.locator("#blotter-msg")).to_contain_text("Cancel requested for 2 orders")
    expect(alice.locator("#open-orders tbody tr")).to_have_count(0)
    expect(bob.locator('#ladder tr.level[data-price="205.00"]')).to_have_count(0)

    # Phone width: the same screen, one column, nothing wider than the screen.
    alice.set_viewport_size({"width": 390, "height": 844})
    alice.wait_for_timeout(300)
    assert alice.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(alice, "trade-phone")

    for page in (alice, bob):
        assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    screenshot(bob_watchlist, "markets-after-trade")
    assert console.unexpected() == []
