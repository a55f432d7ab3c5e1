"""`manage.py create_trader` and `manage.py seed_demo`."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

from marketdata.models import Instrument
from orders.audit import audit_run
from orders.models import Account, LedgerEntry, Position, PositionTransfer

pytestmark = pytest.mark.django_db
User = get_user_model()


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def instruments(db):
    Instrument.objects.create(symbol="AAPL", name="Apple", tick_size=Decimal("0.01"), lot_size=Decimal("1"),
                              reference_price=Decimal("190.00"))
    Instrument.objects.create(symbol="NOREF", name="No reference", tick_size=Decimal("0.01"), lot_size=Decimal("1"))


# --- create_trader ----------------------------------------------------------------------
def test_create_trader_funds_the_account_and_prints_the_token(instruments):
    out, err = run("create_trader", "carol", "--password", "pw-1", "--cash", "100000", "--position", "AAPL:100")
    user = User.objects.get(username="carol")
    assert user.check_password("pw-1")
    assert out == f"{Token.objects.get(user=user).key}\n"
    assert "created trader carol" in err
    account = Account.objects.get(user=user)
    assert (account.kind, str(account.cash), account.reserved_cash) == ("trader", "100000.00", Decimal("0"))
    legs = list(LedgerEntry.objects.order_by("pk").values_list("account__kind", "kind", "amount", "memo"))
    assert legs == [("trader", "deposit", Decimal("100000.00"), "create_trader"),
                    ("external", "deposit", Decimal("-100000.00"), "create_trader")]
    position = Position.objects.get(account=account)
    assert (position.instrument.symbol, position.qty, position.reserved_qty, position.avg_price) == (
        "AAPL", Decimal("100"), Decimal("0"), Decimal("190.00"))
    assert PositionTransfer.objects.get().qty == Decimal("100")
    assert audit_run(strict=True) == []


def test_position_prices_default_to_the_flag_or_take_their_own(instruments):
    run("create_trader", "dan", "--position", "AAPL:10", "--position", "NOREF:5@12.5", "--position-price", "180")
    prices = dict(Position.objects.values_list("instrument__symbol", "avg_price"))
    assert prices == {"AAPL": Decimal("180"), "NOREF": Decimal("12.5")}
    assert not User.objects.get(username="dan").has_usable_password()
    assert not LedgerEntry.objects.exists()  # no --cash, no deposit


def test_an_existing_user_is_an_error_unless_exists_ok(instruments):
    first, _ = run("create_trader", "erin", "--password", "old", "--cash", "50")
    with pytest.raises(CommandError, match="already exists"):
        run("create_trader", "erin", "--cash", "50")
    again, err = run("create_trader", "erin", "--password", "new", "--cash", "50", "--exists-ok")
    assert again == first  # the same token
    user = User.objects.get(username="erin")
    assert user.check_password("new")
    assert str(Account.objects.get(user=user).cash) == "50.00"  # never funded twice
    assert "left as they are" in err


@pytest.mark.parametrize("args, message", [
    (["--position", "MSFT:10"], "Unknown symbol 'MSFT'"),
    (["--position", "NOREF:10"], "NOREF has no reference price"),
    (["--position", "AAPL"], "SYMBOL:QTY"),
    (["--position", "AAPL:1.5"], "lot size"),
    (["--cash", "10.001"], "whole cents"),
    (["--cash", "lots"], "--cash must be a number"),
])
def test_bad_input_fails_clearly_and_creates_nothing(instruments, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_trader", "frank", "--cash", "100", *args)
    assert not User.objects.filter(username="frank").exists()
    assert not Account.objects.filter(kind="trader").exists()
    assert not LedgerEntry.objects.exists() and not PositionTransfer.objects.exists()


# --- seed_demo ------------------------------------------------------------------------------
def snapshot() -> dict:
    return {
        "users": sorted(User.objects.values_list("username", "is_superuser")),
        "instruments": sorted(Instrument.objects.values_list("symbol", "tick_size", "lot_size", "reference_price",
                                                             "status")),
        "accounts": sorted((kind, name or "", str(cash), str(reserved)) for kind, name, cash, reserved in
                           Account.objects.values_list("kind", "user__username", "cash", "reserved_cash")),
        "ledger": LedgerEntry.objects.count(),
        "transfers": PositionTransfer.objects.count(),
        "positions": sorted(Position.objects.values_list("account__user__username", "instrument__symbol", "qty")),
        "tokens": sorted(Token.objects.values_list("user__username", "key")),
    }


def test_seed_demo_creates_the_demo_venue(db):
    out, _ = run("seed_demo")
    assert "  ops (admin):  ops / ops-demo-pass" in out
    assert "  trader:       alice / alice-demo-pass" in out
    assert "  trader:       bob / bob-demo-pass" in out
    state = snapshot()
    assert state["users"] == [("alice", False), ("bob", False), ("bot-mm", False), ("bot-taker", False), ("ops", True)]
    assert [row[0] for row in state["instruments"]] == ["AAL", "AAPL", "GOOGL", "MSFT", "SPY", "TSLA"]
    assert all(row[1:3] == (Decimal("0.01"), Decimal("1")) and row[3] > 0 and row[4] == "trading"
               for row in state["instruments"])
    assert state["accounts"] == [
        ("external", "", "-8000000.00", "0.00"),
        ("house", "", "0.00", "0.00"),
        ("trader", "alice", "1000000.00", "0.00"),
        ("trader", "bob", "1000000.00", "0.00"),
        ("trader", "bot-mm", "5000000.00", "0.00"),
        ("trader", "bot-taker", "1000000.00", "0.00"),
    ]
    assert state["ledger"] == 8 and state["transfers"] == 24 and len(state["positions"]) == 24
    assert [name for name, _ in state["tokens"]] == ["alice", "bob", "bot-mm", "bot-taker"]
    assert User.objects.get(username="alice").check_password("alice-demo-pass")
    assert not User.objects.get(username="bot-mm").has_usable_password()
    assert audit_run(strict=True) == []


def test_seed_demo_twice_changes_nothing(db):
    first_out, _ = run("seed_demo")
    first = snapshot()
    second_out, _ = run("seed_demo")
    assert snapshot() == first
    assert second_out == first_out


def test_seed_demo_keeps_existing_users_and_funds_them_once(db):
    User.objects.create_user(username="alice", password="her-own")
    run("seed_demo")
    alice = User.objects.get(username="alice")
    assert alice.check_password("her-own")
    assert str(Account.objects.get(user=alice).cash) == "1000000.00"
