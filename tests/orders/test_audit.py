"""orders.audit and `manage.py audit`: clean on a sound venue, and each invariant's
violation found (and named) when the database is corrupted on purpose."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone

from orders.audit import audit_run
from orders.models import Account, LedgerEntry, Order, Position, PositionTransfer
from tests.orders.support import check_constraints_off, place

pytestmark = pytest.mark.django_db


def only(violations: list[str], needle: str) -> list[str]:
    return [v for v in violations if needle in v]


def test_clean_on_a_fresh_seeded_venue(seeded):
    assert audit_run(strict=True) == []


def test_clean_after_trading(traded):
    assert traded["buy"].status == "filled"
    assert traded["sell"].status == "partially_filled"
    assert audit_run(strict=True) == []


def test_clean_with_a_pending_replace_of_a_sell(traded):
    from orders.services import order_replace

    order_replace(account=traded["bob"], order_id=traded["sell"].pk, qty=Decimal("50"))
    assert Position.objects.get(account=traded["bob"], instrument=traded["aapl"]).reserved_qty == Decimal("40")
    assert audit_run(strict=True) == []


# (a) cash conserved
def test_cash_created_from_nothing_is_found(seeded):
    Account.objects.filter(pk=seeded["alice"].pk).update(cash=F("cash") + Decimal("0.01"))
    violations = audit_run()
    assert only(violations, "cash not conserved") == [
        "cash not conserved: the cash of all accounts sums to 0.01, expected 0.00"]


# (b) cash = ledger
def test_cash_that_disagrees_with_the_ledger_names_the_account(seeded):
    alice, bob = seeded["alice"], seeded["bob"]
    Account.objects.filter(pk=alice.pk).update(cash=F("cash") + 5)
    Account.objects.filter(pk=bob.pk).update(cash=F("cash") - 5)  # the total still balances
    violations = audit_run()
    assert not only(violations, "cash not conserved")
    assert violations == [
        f"account {alice.pk} (alice): cash 1000005.00 != ledger sum 1000000.00",
        f"account {bob.pk} (bob): cash 999995.00 != ledger sum 1000000.00",
    ]


# (c) ledger transactions balance
def test_an_unbalanced_ledger_transaction_is_named(seeded):
    leg = LedgerEntry.objects.filter(account=seeded["alice"]).get()
    LedgerEntry.objects.filter(pk=leg.pk).update(amount=F("amount") + 1)
    violations = audit_run()
    assert f"ledger txn {leg.txn}: legs sum to 1.00, expected 0.00" in violations


# (d) reserved cash = open buy orders
def test_reserved_cash_without_orders_names_the_account(seeded):
    alice = seeded["alice"]
    Account.objects.filter(pk=alice.pk).update(reserved_cash=Decimal("12.34"))
    assert audit_run() == [f"account {alice.pk} (alice): reserved_cash 12.34 != 0.00 held by its open buy orders"]


def test_an_order_reservation_that_drifted_is_found(traded):
    alice, resting = traded["alice"], traded["resting_buy"]
    Order.objects.filter(pk=resting.pk).update(reserved_cash=F("reserved_cash") - 1)
    violations = audit_run()
    assert only(violations, f"account {alice.pk} (alice): reserved_cash")


# (e) reserved qty = open sell orders
def test_reserved_qty_that_disagrees_with_open_sells_names_the_position(traded):
    position = Position.objects.get(account=traded["bob"], instrument=traded["aapl"])
    assert position.reserved_qty == Decimal("20")
    Position.objects.filter(pk=position.pk).update(reserved_qty=Decimal("25"))
    assert audit_run() == [f"position {position.pk} (bob AAPL): reserved_qty 25 != 20 held by its open sell orders"]


def test_an_open_sell_without_a_position_is_found(traded):
    sell = traded["sell"]
    Position.objects.filter(account=traded["bob"], instrument=traded["aapl"]).delete()
    violations = audit_run()
    assert f"order #{sell.pk} (bob AAPL): open sell order but the account holds no position" in violations


# (f) quantity conserved
def test_quantity_created_from_nothing_names_instrument_and_position(traded):
    position = Position.objects.get(account=traded["alice"], instrument=traded["aapl"])
    Position.objects.filter(pk=position.pk).update(qty=F("qty") + 7)
    violations = audit_run()
    assert "instrument AAPL: positions hold 23807 but transfers brought in 23800" in violations
    assert (f"position {position.pk} (alice AAPL): qty 1017 != transfers 1000 + net traded 10") in violations


def test_quantity_moved_between_positions_without_a_trade_names_both(traded):
    alice_pos = Position.objects.get(account=traded["alice"], instrument=traded["aapl"])
    bob_pos = Position.objects.get(account=traded["bob"], instrument=traded["aapl"])
    Position.objects.filter(pk=alice_pos.pk).update(qty=F("qty") + 3)
    Position.objects.filter(pk=bob_pos.pk).update(qty=F("qty") - 3)
    violations = audit_run()
    assert not only(violations, "instrument AAPL")
    assert violations == [
        f"position {alice_pos.pk} (alice AAPL): qty 1013 != transfers 1000 + net traded 10",
        f"position {bob_pos.pk} (bob AAPL): qty 787 != transfers 800 + net traded -10",
    ]


def test_a_transfer_without_its_position_change_is_found(seeded):
    transfer = PositionTransfer.objects.get(account=seeded["alice"], instrument=seeded["aapl"])
    PositionTransfer.objects.filter(pk=transfer.pk).update(qty=F("qty") + 1)
    violations = audit_run()
    assert "instrument AAPL: positions hold 23800 but transfers brought in 23801" in violations
    assert only(violations, "(alice AAPL): qty 1000 != transfers 1001")


# (g) fills = trades
def test_filled_qty_without_trades_names_the_order(traded):
    sell = traded["sell"]
    Order.objects.filter(pk=sell.pk).update(filled_qty=Decimal("12"))
    violations = only(audit_run(), f"order #{sell.pk}")
    assert violations == [f"order #{sell.pk} (bob AAPL): filled 12 for 1900.00 but its trades sum to 10 for 1900.00"]


def test_filled_notional_that_disagrees_with_trades_names_the_order(traded):
    buy = traded["buy"]
    Order.objects.filter(pk=buy.pk).update(filled_notional=Decimal("1900.01"))
    assert audit_run() == [f"order #{buy.pk} (alice AAPL): filled 10 for 1900.01 but its trades sum to 10 for 1900.00"]


def test_an_overfilled_order_is_found(traded):
    buy = traded["buy"]
    with check_constraints_off():
        Order.objects.filter(pk=buy.pk).update(qty=Decimal("8"))
    violations = audit_run()
    assert f"order #{buy.pk} (alice AAPL): filled_qty 10 exceeds qty 8" in violations


def test_a_trade_between_two_buys_is_found(traded):
    trade = traded["trade"]
    Order.objects.filter(pk=traded["sell"].pk).update(side="buy")
    violations = audit_run()
    assert only(violations, f"trade {trade.pk} (AAPL): maker order #{traded['sell'].pk}")


# (h) final states hold nothing
def test_a_filled_order_with_open_quantity_is_found(seeded):
    order = place(seeded["alice"], side="sell", qty="5", price="190.00")
    Order.objects.filter(pk=order.pk).update(status="filled")
    violations = audit_run()
    assert f"order #{order.pk} (alice AAPL): status filled but filled_qty 0 != qty 5" in violations


def test_a_canceled_order_still_holding_cash_is_found(traded):
    resting = traded["resting_buy"]
    Order.objects.filter(pk=resting.pk).update(status="canceled")
    violations = audit_run()
    assert f"order #{resting.pk} (alice AAPL): canceled buy order still holds reserved_cash 925.28" in violations
    # the account's reservation no longer matches its open orders either
    assert only(violations, f"account {traded['alice'].pk} (alice): reserved_cash 925.28 != 0.00")


# (i) orders stuck in accepted: a warning, a violation only when strict
def test_a_stale_accepted_order_is_a_violation_only_when_strict(seeded):
    order = place(seeded["alice"], side="buy", qty="1", price="190.00")
    Order.objects.filter(pk=order.pk).update(accepted_at=timezone.now() - timedelta(minutes=6))
    assert audit_run() == []
    strict = audit_run(strict=True)
    assert len(strict) == 1 and strict[0].startswith(f"order #{order.pk} (alice AAPL): accepted at ")
    assert strict[0].endswith("still not in the engine after 5 min")
    assert audit_run(strict=True, stale_after=timedelta(minutes=10)) == []


# (j) balances are sane
def test_cash_below_reserved_is_found(seeded):
    alice = seeded["alice"]
    with check_constraints_off():
        Account.objects.filter(pk=alice.pk).update(cash=Decimal("10.00"), reserved_cash=Decimal("20.00"))
    violations = audit_run()
    assert (f"account {alice.pk} (alice): needs cash >= reserved_cash >= 0 but has cash 10.00, reserved_cash 20.00"
            in violations)


def test_a_position_below_its_reservation_is_found(seeded):
    position = Position.objects.get(account=seeded["bob"], instrument=seeded["aapl"])
    with check_constraints_off():
        Position.objects.filter(pk=position.pk).update(reserved_qty=Decimal("900"))
    violations = audit_run()
    assert (f"position {position.pk} (bob AAPL): needs qty >= reserved_qty >= 0 but has qty 800, reserved_qty 900"
            in violations)


# the command
def test_command_prints_audit_ok_when_clean(traded):
    out = io.StringIO()
    call_command("audit", "--strict", stdout=out)
    assert out.getvalue() == "audit ok\n"


def test_command_prints_each_violation_and_exits_1(seeded, capsys):
    alice = seeded["alice"]
    Account.objects.filter(pk=alice.pk).update(reserved_cash=Decimal("1.00"))
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "audit"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == f"account {alice.pk} (alice): reserved_cash 1.00 != 0.00 held by its open buy orders\n"
    assert "audit failed: 1 violation(s)" in captured.err


def test_command_warns_about_stale_accepted_orders_and_fails_on_them_when_strict(seeded):
    order = place(seeded["bob"], side="sell", qty="1", price="190.00")
    Order.objects.filter(pk=order.pk).update(accepted_at=timezone.now() - timedelta(minutes=30))
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", stdout=out, stderr=err)
    assert out.getvalue() == "audit ok\n"
    assert err.getvalue().startswith(f"warning: order #{order.pk} (bob AAPL): accepted at")
    with pytest.raises(CommandError) as failed:
        call_command("audit", "--strict", stdout=io.StringIO(), stderr=io.StringIO())
    assert failed.value.returncode == 1
