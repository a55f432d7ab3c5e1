"""Accounts and cash movements. Every cash change is a balanced pair of ledger entries."""

import uuid
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from common.errors import ServiceError
from orders.models import Account, LedgerEntry, Position, PositionTransfer
from orders.money import CENT


def account_system(*, kind: str) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, defaults={"currency": "USD"})
    return account


def account_for_user(*, user) -> Account:
    account, _ = Account.objects.get_or_create(user=user)
    return account


def _check_account(account: Account) -> None:
    if account.kind == Account.Kind.EXTERNAL:
        raise ServiceError("invalid_account", "The external account is the other side of every deposit; it takes none itself.",
                           kind="invalid", field="account")


def _check_amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise ServiceError("invalid_amount", "Amount must be a positive number of whole cents.", kind="invalid", field="amount")
    return amount


def ledger_post(*, legs: list[tuple[Account, Decimal]], kind: str, memo: str = "", trade=None, txn: str | None = None) -> str:
    """Write one balanced transaction. The caller updates the balances in the same transaction."""
    assert sum(amount for _, amount in legs) == 0, "a ledger transaction must balance"
    txn = txn or uuid.uuid4().hex
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(txn=txn, account=account, kind=kind, amount=amount, memo=memo, trade=trade) for account, amount in legs]
    )
    return txn


@transaction.atomic
def account_deposit(*, account: Account, amount: Decimal, memo: str = "") -> Account:
    _check_account(account)
    amount = _check_amount(amount)
    external = account_system(kind=Account.Kind.EXTERNAL)
    Account.objects.filter(pk=account.pk).update(cash=F("cash") + amount)
    Account.objects.filter(pk=external.pk).update(cash=F("cash") - amount)
    ledger_post(legs=[(account, amount), (external, -amount)], kind=LedgerEntry.Kind.DEPOSIT, memo=memo)
    account.refresh_from_db()
    return account


@transaction.atomic
def account_withdraw(*, account: Account, amount: Decimal, memo: str = "") -> Account:
    _check_account(account)
    amount = _check_amount(amount)
    external = account_system(kind=Account.Kind.EXTERNAL)
    taken = Account.objects.filter(pk=account.pk, cash__gte=F("reserved_cash") + amount).update(cash=F("cash") - amount)
    if not taken:
        raise ServiceError("insufficient_funds", "Withdrawal exceeds the account's free cash.")
    Account.objects.filter(pk=external.pk).update(cash=F("cash") + amount)
    ledger_post(legs=[(account, -amount), (external, amount)], kind=LedgerEntry.Kind.WITHDRAWAL, memo=memo)
    account.refresh_from_db()
    return account


def account_set_frozen(*, account: Account, frozen: bool) -> Account:
    Account.objects.filter(pk=account.pk).update(frozen=frozen, **({} if frozen else {"frozen_reason": ""}))
    account.refresh_from_db()
    return account


@transaction.atomic
def position_grant(*, account: Account, instrument, qty: Decimal, avg_price: Decimal, memo: str = "") -> Position:
    """Ops/demo: credit an opening position (a transfer in of securities)."""
    if qty <= 0 or qty % instrument.lot_size != 0:
        raise ServiceError("invalid_qty", "Quantity must be a positive multiple of the lot size.", kind="invalid", field="qty")
    PositionTransfer.objects.create(account=account, instrument=instrument, qty=qty, price=avg_price, memo=memo)
    position, _ = Position.objects.select_for_update().get_or_create(account=account, instrument=instrument)
    total = position.qty + qty
    position.avg_price = ((position.avg_price * position.qty + avg_price * qty) / total) if total else Decimal("0")
    position.qty = total
    position.save(update_fields=["qty", "avg_price"])
    return position
