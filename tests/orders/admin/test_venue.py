"""Venue-wide operations in the admin: cancel all of an account, the kill switch (confirmed), resume
all, the audit page, the audit trail of every ops action, and a live symbol's grid kept safe."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db.models import F

from bots.models import BotConfig
from marketdata.models import Instrument
from orders.models import Account, Order
from tests.orders.support import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(seeded, client):
    client.force_login(get_user_model().objects.get(username="ops"))
    return client


def trail() -> list[str]:
    return list(LogEntry.objects.order_by("pk").values_list("change_message", flat=True))


def test_cancel_all_orders_of_an_account(ops, seeded, bus_tail, django_capture_on_commit_callbacks):
    alice, bob = seeded["alice"], seeded["bob"]
    mine = [place(alice, side="buy", qty="1", price=p) for p in ("180.00", "181.00")]
    theirs = place(bob, side="sell", qty="1", price="200.00")
    tail = bus_tail("AAPL")
    with django_capture_on_commit_callbacks(execute=True):
        ops.post("/admin/orders/account/", {"action": "cancel_all_orders", "_selected_action": [alice.pk]})
    assert [Order.objects.get(pk=o.pk).status for o in mine] == ["pending_cancel", "pending_cancel"]
    assert Order.objects.get(pk=theirs.pk).status == "accepted"
    assert [c["order_id"] for c in tail.commands()] == [o.pk for o in mine]
    assert trail() == [f"cancel all orders: 2 order(s) {[o.pk for o in mine]}"]


def test_the_kill_switch_needs_its_confirmation_then_halts_and_cancels_everything(ops, seeded, bus_tail,
                                                                                  django_capture_on_commit_callbacks):
    orders = [place(seeded["alice"], side="buy", qty="1", price="180.00"),
              place(seeded["bob"], side="sell", qty="1", price="200.00")]
    page = ops.get("/admin/venue/kill-switch/")
    assert page.status_code == 200 and b"2 now" in page.content
    refused = ops.post("/admin/venue/kill-switch/", {"confirm": "yes"})
    assert refused.status_code == 200 and not Instrument.objects.filter(status="halted").exists()
    tail = bus_tail("AAPL")
    with django_capture_on_commit_callbacks(execute=True):
        done = ops.post("/admin/venue/kill-switch/", {"confirm": "HALT"})
    assert done.status_code == 302
    assert set(Instrument.objects.values_list("status", flat=True)) == {"halted"}
    assert {Order.objects.get(pk=o.pk).status for o in orders} == {"pending_cancel"}
    # One shard here: every symbol's halt first, then the cancels.
    assert [(c["kind"], c.get("order_id")) for c in tail.commands()] == [("halt", None)] * 6 + [
        ("cancel", o.pk) for o in orders]
    assert trail()[-1].startswith("kill switch: halted AAL, AAPL, GOOGL, MSFT, SPY, TSLA; cancel requested for 2")
    with django_capture_on_commit_callbacks(execute=True):
        assert ops.post("/admin/venue/resume/").status_code == 302
    assert set(Instrument.objects.values_list("status", flat=True)) == {"trading"}
    assert trail()[-1] == "resume all: AAL, AAPL, GOOGL, MSFT, SPY, TSLA"


def test_the_audit_page_runs_the_audit_and_shows_its_findings(ops, seeded):
    page = ops.post("/admin/venue/audit/")
    assert b"audit ok: no violation" in page.content
    Account.objects.filter(pk=seeded["alice"].pk).update(cash=F("cash") + Decimal("1.00"))
    page = ops.post("/admin/venue/audit/")
    assert b"2 violations" in page.content and b"cash 1000001.00 != ledger sum 1000000.00" in page.content
    assert trail() == ["audit run: 0 violation(s), 0 warning(s)", "audit run: 2 violation(s), 0 warning(s)"]


def test_venue_operations_need_their_permissions(client, seeded):
    staff = get_user_model().objects.create_user("intern", password="x", is_staff=True)
    client.force_login(staff)
    for path in ("/admin/venue/kill-switch/", "/admin/venue/resume/", "/admin/venue/audit/"):
        assert client.post(path, {"confirm": "HALT"}).status_code == 403
    assert not Instrument.objects.filter(status="halted").exists()
    client.logout()
    assert client.get("/admin/venue/kill-switch/").status_code == 302  # to the login page


def test_bot_enable_and_disable_are_in_the_audit_trail(ops, seeded):
    bot = BotConfig.objects.create(name="mm", kind="market_maker", username="bot-mm")
    ops.post("/admin/bots/botconfig/", {"action": "disable_selected", "_selected_action": [bot.pk]})
    ops.post("/admin/bots/botconfig/", {"action": "enable_selected", "_selected_action": [bot.pk]})
    assert trail() == ["disabled by ops", "enabled by ops"]
    assert ops.get("/admin/admin/logentry/").status_code == 200


def test_the_grid_of_a_live_symbol_changes_only_halted_and_empty(ops, seeded):
    aapl = seeded["aapl"]
    url = f"/admin/marketdata/instrument/{aapl.pk}/change/"
    form = {"symbol": "AAPL", "name": aapl.name, "currency": "USD", "tick_size": "0.05", "lot_size": "1",
            "price_band": "0.1000", "max_order_qty": "100000", "max_order_notional": "10000000",
            "reference_price": "190.00", "maker_fee_rate": "0.000100", "taker_fee_rate": "0.000300"}
    page = ops.post(url, form)
    assert page.status_code == 200 and b"Halt the instrument before changing its tick or lot size." in page.content
    order = place(seeded["alice"], side="buy", qty="1", price="180.00")
    Instrument.objects.filter(pk=aapl.pk).update(status="halted")
    page = ops.post(url, form)
    assert b"Cancel the instrument&#x27;s open orders" in page.content
    Order.objects.filter(pk=order.pk).update(status="canceled", reserved_cash=0)
    assert ops.post(url, form).status_code == 302
    assert Instrument.objects.get(pk=aapl.pk).tick_size == Decimal("0.05")
