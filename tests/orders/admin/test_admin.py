"""The ops admin, driven as ops would: a superuser with the Django test client."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from marketdata.models import Instrument
from orders.audit import audit_run
from orders.models import Account, ApiKey, LedgerEntry, Order
from orders.services.api_keys import api_key_create
from tests.orders.support import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(seeded, client):
    client.force_login(get_user_model().objects.get(username="ops"))
    return client


def texts(response, level: str | None = None) -> list[str]:
    """The messages shown on the page the action led to."""
    return [str(m) for m in response.context["messages"] if level is None or m.level_tag == level]


def act(client, url: str, action: str, pks, **extra):
    """Post an admin action and follow its redirect back to the list, as a browser does."""
    return client.post(url, {"action": action, "_selected_action": [str(pk) for pk in pks], **extra}, follow=True)


INSTRUMENTS = "/admin/marketdata/instrument/"
ACCOUNTS = "/admin/orders/account/"
ORDERS = "/admin/orders/order/"


# --- instruments -----------------------------------------------------------------------------
def test_halt_and_resume_actions(ops, seeded, bus_tail, django_capture_on_commit_callbacks):
    aapl, msft = seeded["aapl"], Instrument.objects.get(symbol="MSFT")
    tail = bus_tail("AAPL")
    with django_capture_on_commit_callbacks(execute=True):
        response = act(ops, INSTRUMENTS, "halt_selected", [aapl.pk, msft.pk])
    assert response.redirect_chain == [(INSTRUMENTS, 302)]
    assert set(Instrument.objects.filter(status="halted").values_list("symbol", flat=True)) == {"AAPL", "MSFT"}
    assert tail.commands() == [{"kind": "halt", "symbol": "AAPL"}, {"kind": "halt", "symbol": "MSFT"}]
    assert texts(response) == ["Halted: AAPL, MSFT."]

    tail = bus_tail("AAPL")
    with django_capture_on_commit_callbacks(execute=True):
        response = act(ops, INSTRUMENTS, "resume_selected", [aapl.pk])
    assert Instrument.objects.get(pk=aapl.pk).status == "trading"
    assert Instrument.objects.get(pk=msft.pk).status == "halted"
    assert tail.commands() == [{"kind": "resume", "symbol": "AAPL"}]

    with django_capture_on_commit_callbacks(execute=True):
        response = act(ops, INSTRUMENTS, "resume_selected", [aapl.pk])
    assert texts(response) == ["AAPL is already trading."]
    assert tail.commands() == [{"kind": "resume", "symbol": "AAPL"}]  # nothing new sent


def test_instrument_pages(ops, seeded):
    assert ops.get(INSTRUMENTS).status_code == 200
    assert b"AAPL" in ops.get(INSTRUMENTS, {"q": "apple"}).content
    assert ops.get(INSTRUMENTS, {"status__exact": "halted"}).status_code == 200
    page = ops.get(f"{INSTRUMENTS}{seeded['aapl'].pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content  # status changes only through the actions
    assert ops.get(f"{INSTRUMENTS}add/").status_code == 200


# --- accounts ----------------------------------------------------------------------------------
def test_freeze_and_unfreeze(ops, seeded):
    alice = seeded["alice"]
    response = act(ops, ACCOUNTS, "freeze", [alice.pk])
    assert Account.objects.get(pk=alice.pk).frozen
    assert texts(response) == ["Frozen: alice."]
    act(ops, ACCOUNTS, "unfreeze", [alice.pk])
    assert not Account.objects.get(pk=alice.pk).frozen


def test_deposit_asks_the_amount_then_moves_exactly_that(ops, seeded):
    alice, external = seeded["alice"], seeded["external"]
    form = act(ops, ACCOUNTS, "deposit", [alice.pk])
    assert form.status_code == 200
    body = form.content.decode()
    assert 'name="amount"' in body and 'name="memo"' in body and "Deposit cash" in body
    assert re.search(rf'name="_selected_action" value="{alice.pk}"', body)
    before = LedgerEntry.objects.count()

    response = act(ops, ACCOUNTS, "deposit", [alice.pk], apply="1", amount="250.55", memo="wire 42")
    assert response.redirect_chain == [(ACCOUNTS, 302)]
    assert str(Account.objects.get(pk=alice.pk).cash) == "1000250.55"
    assert str(Account.objects.get(pk=external.pk).cash) == "-8000250.55"
    legs = list(LedgerEntry.objects.order_by("pk")[before:].values_list("account_id", "kind", "amount", "memo"))
    assert LedgerEntry.objects.count() == before + 2
    assert sorted(legs) == sorted([(alice.pk, "deposit", Decimal("250.55"), "wire 42"),
                                   (external.pk, "deposit", Decimal("-250.55"), "wire 42")])
    assert texts(response) == ["alice: deposited 250.55; cash is now 1000250.55."]
    assert audit_run(strict=True) == []


def test_deposit_with_a_bad_amount_shows_the_form_again(ops, seeded):
    alice = seeded["alice"]
    response = act(ops, ACCOUNTS, "deposit", [alice.pk], apply="1", amount="1.001")
    assert response.status_code == 200 and response.redirect_chain == []
    assert b"errorlist" in response.content
    assert str(Account.objects.get(pk=alice.pk).cash) == "1000000.00"


def test_withdraw_within_free_cash(ops, seeded):
    bob = seeded["bob"]
    response = act(ops, ACCOUNTS, "withdraw", [bob.pk], apply="1", amount="100", memo="")
    assert str(Account.objects.get(pk=bob.pk).cash) == "999900.00"
    assert LedgerEntry.objects.filter(kind="withdrawal", memo="withdraw by ops (admin)").count() == 2
    assert texts(response) == ["bob: withdrew 100.00; cash is now 999900.00."]


def test_withdraw_beyond_free_cash_is_refused_and_changes_nothing(ops, seeded):
    alice = seeded["alice"]
    place(alice, side="buy", qty="100", price="190.00")  # holds 19005.70 of her cash
    alice.refresh_from_db()
    before = (alice.cash, alice.reserved_cash, LedgerEntry.objects.count())
    response = act(ops, ACCOUNTS, "withdraw", [alice.pk], apply="1", amount="990000.00")
    assert response.redirect_chain == [(ACCOUNTS, 302)]
    alice.refresh_from_db()
    assert (alice.cash, alice.reserved_cash, LedgerEntry.objects.count()) == before
    assert texts(response, "error") == [
        "alice: withdraw of 990000.00 refused: Withdrawal exceeds the account's free cash."]
    assert texts(response, "success") == []


def test_the_external_account_takes_no_deposit(ops, seeded):
    external = seeded["external"]
    before = (Account.objects.get(pk=external.pk).cash, LedgerEntry.objects.count())
    response = act(ops, ACCOUNTS, "deposit", [external.pk], apply="1", amount="5")
    assert (Account.objects.get(pk=external.pk).cash, LedgerEntry.objects.count()) == before
    assert "cannot take one itself" in texts(response)[0]


def test_account_pages_are_view_only(ops, seeded):
    alice = seeded["alice"]
    listing = ops.get(ACCOUNTS)
    assert listing.status_code == 200 and b"1000000.00" in listing.content
    assert ops.get(ACCOUNTS, {"q": "alice"}).status_code == 200
    page = ops.get(f"{ACCOUNTS}{alice.pk}/change/")
    assert page.status_code == 200
    assert b'name="cash"' not in page.content
    assert ops.post(f"{ACCOUNTS}{alice.pk}/change/", {"cash": "5"}).status_code == 403
    assert ops.get(f"{ACCOUNTS}add/").status_code == 403
    assert ops.get(f"{ACCOUNTS}{alice.pk}/delete/").status_code == 403
    assert str(Account.objects.get(pk=alice.pk).cash) == "1000000.00"


# --- orders ---------------------------------------------------------------------------------
def test_cancel_selected_orders(ops, seeded, bus_tail, django_capture_on_commit_callbacks):
    open_order = place(seeded["alice"], side="buy", qty="2", price="190.00", client_order_id="abc-1")
    closed = place(seeded["bob"], side="sell", qty="1", price="190.00")
    Order.objects.filter(pk=closed.pk).update(status="canceled")
    tail = bus_tail("AAPL")
    with django_capture_on_commit_callbacks(execute=True):
        response = act(ops, ORDERS, "cancel_selected", [open_order.pk, closed.pk])
    assert response.redirect_chain == [(ORDERS, 302)]
    assert Order.objects.get(pk=open_order.pk).status == "pending_cancel"
    assert Order.objects.get(pk=closed.pk).status == "canceled"
    assert tail.commands() == [{"kind": "cancel", "order_id": open_order.pk, "symbol": "AAPL"}]
    assert texts(response) == [
        f"Order #{open_order.pk} (alice AAPL): cancel requested, now pending_cancel.",
        f"Order #{closed.pk}: not canceled: The order is already canceled.",
    ]


def test_orders_search_and_filters(ops, seeded):
    mine = place(seeded["alice"], side="buy", qty="2", price="190.00", client_order_id="client-xyz")
    theirs = place(seeded["bob"], side="sell", qty="3", price="191.00", symbol="AAPL")

    def listed(params) -> set[int]:
        response = ops.get(ORDERS, params)
        assert response.status_code == 200
        return {obj.pk for obj in response.context["cl"].result_list}

    assert listed({}) == {mine.pk, theirs.pk}
    assert listed({"q": str(mine.pk)}) == {mine.pk}
    assert listed({"q": f"#{theirs.pk}"}) == {theirs.pk}
    assert listed({"q": "client-xyz"}) == {mine.pk}
    assert listed({"q": "bob"}) == {theirs.pk}
    assert listed({"status__exact": "accepted", "side__exact": "sell"}) == {theirs.pk}
    assert listed({"type__exact": "limit", "instrument__id__exact": str(seeded["aapl"].pk)}) == {mine.pk, theirs.pk}
    assert listed({"q": str(mine.pk), "side__exact": "sell"}) == set()  # an id search keeps the filters


def test_the_books_are_read_only(ops, traded):
    pages = {
        "order": traded["buy"].pk,
        "trade": traded["trade"].pk,
        "ledgerentry": LedgerEntry.objects.first().pk,
        "position": traded["alice"].positions.first().pk,
        "positiontransfer": traded["alice"].position_transfers.first().pk,
    }
    for model, pk in pages.items():
        base = f"/admin/orders/{model}/"
        assert ops.get(base).status_code == 200, model
        assert ops.get(base, {"q": "alice"}).status_code == 200, model
        assert ops.get(base, {"q": str(pk)}).status_code == 200, model
        detail = ops.get(f"{base}{pk}/change/")
        assert detail.status_code == 200, model
        assert b'name="_save"' not in detail.content, model
        assert ops.get(f"{base}add/").status_code == 403, model
        assert ops.get(f"{base}{pk}/delete/").status_code == 403, model
        assert ops.post(f"{base}{pk}/change/", {}).status_code == 403, model
        action_form = ops.get(base).context["action_form"]
        if model == "order":
            assert [name for name, _ in action_form.fields["action"].choices] == ["", "cancel_selected"]
        else:
            assert action_form is None, model  # not even "delete selected"


def test_staff_without_permissions_cannot_act(client, seeded):
    staff = get_user_model().objects.create_user(username="viewer", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(ACCOUNTS).status_code == 403
    before = Account.objects.get(pk=seeded["alice"].pk).cash
    act(client, ACCOUNTS, "deposit", [seeded["alice"].pk], apply="1", amount="5")
    assert Account.objects.get(pk=seeded["alice"].pk).cash == before


def test_ops_revoke_an_api_key_and_it_stops_at_once(admin_client, seeded):
    key, secret = api_key_create(user=seeded["users"]["alice"], scopes=["read"], label="alice's bot")
    client = APIClient()
    client.credentials(HTTP_APCA_API_KEY_ID=key.key_id, HTTP_APCA_API_SECRET_KEY=secret)
    assert client.get("/api/v1/account/").status_code == 200
    listed = admin_client.get("/admin/orders/apikey/")
    assert listed.status_code == 200 and key.key_id.encode() in listed.content and secret.encode() not in listed.content
    response = admin_client.post("/admin/orders/apikey/", {"action": "revoke_selected", "_selected_action": [key.pk]})
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert client.get("/api/v1/account/").status_code == 401
