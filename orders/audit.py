"""The venue's invariants, checked on the live database (`manage.py audit`, the nightly task).

Every check is a selector: it reads, never writes, and returns human-readable violation
strings naming the account, position, order, instrument or ledger transaction at fault.
The sums are computed by the database (correlated subqueries, GROUP BY) and only the rows
that break a rule come back. Amounts are compared with a tolerance below the smallest
unit (half a cent, half of 1e-8), so the float arithmetic SQLite uses for sums cannot
raise a false alarm and can never hide a real difference.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.db.models import Case, DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone

from marketdata.models import Instrument
from orders.models import Account, LedgerEntry, Order, Position, PositionTransfer, Trade

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=20, decimal_places=2)
QTY = DecimalField(max_digits=20, decimal_places=8)
MONEY_TOLERANCE = Decimal("0.005")
QTY_TOLERANCE = Decimal("0.000000005")
# Each check reports at most this many rows, then how many more there are.
MAX_PER_CHECK = 100
DEFAULT_STALE_AFTER = timedelta(minutes=5)

Check = Callable[[], list[str]]


# --- helpers ------------------------------------------------------------------
def _num(value: Decimal | None) -> str:
    """A decimal as people write it: 100, 0.5, 1234.56 (never 1E+2)."""
    if value is None:
        return "0"
    return f"{Decimal(value).normalize():f}"


def _money(value: Decimal | None) -> str:
    return f"{Decimal(value or 0):.2f}"


def _account(pk: int, username: str | None, kind: str) -> str:
    return f"account {pk} ({username or kind})"


def _order(pk: int, username: str | None, symbol: str) -> str:
    return f"order #{pk} ({username or 'no user'} {symbol})"


def _position(pk: int, username: str | None, symbol: str) -> str:
    return f"position {pk} ({username or 'no user'} {symbol})"


def _subsum(queryset: QuerySet, group: str, expression, output: DecimalField):
    """The sum of `expression` over `queryset` (already narrowed by OuterRef), 0 when empty."""
    inner = queryset.order_by().values(group).annotate(total=Sum(expression, output_field=output)).values("total")
    return Coalesce(Subquery(inner, output_field=output), Value(ZERO, output_field=output), output_field=output)


def _with_diff(queryset: QuerySet, first: str, second: str, output: DecimalField) -> QuerySet:
    """Annotate |first - second|; filter on it with `_differs(first, second, tolerance)`."""
    return queryset.annotate(**{f"_diff_{first}_{second}": Abs(F(first) - F(second), output_field=output)})


def _differs(first: str, second: str, tolerance: Decimal) -> Q:
    return Q(**{f"_diff_{first}_{second}__gt": tolerance})


def _capped(rows, describe: Callable[[dict], str]) -> list[str]:
    rows = list(rows[: MAX_PER_CHECK + 1])
    lines = [describe(row) for row in rows[:MAX_PER_CHECK]]
    if len(rows) > MAX_PER_CHECK:
        lines.append(f"... and more like the above (only the first {MAX_PER_CHECK} shown)")
    return lines


OPEN = Order.OPEN_STATUSES
FINAL = Order.FINAL_STATUSES
ORDER_LABEL_FIELDS = ("pk", "account__user__username", "instrument__symbol")


# --- (a) cash is conserved ------------------------------------------------------
def check_cash_conserved() -> list[str]:
    """Deposits and withdrawals move cash against the external account, trades and fees
    between accounts: the cash of all accounts, external and house included, sums to zero."""
    total = Account.objects.aggregate(total=Coalesce(Sum("cash", output_field=MONEY), Value(ZERO, output_field=MONEY)))["total"]
    if abs(total) > MONEY_TOLERANCE:
        return [f"cash not conserved: the cash of all accounts sums to {_money(total)}, expected 0.00"]
    return []


# --- (b) cash is what the ledger says --------------------------------------------
def check_cash_matches_ledger() -> list[str]:
    ledger = _subsum(LedgerEntry.objects.filter(account=OuterRef("pk")), "account", "amount", MONEY)
    rows = _with_diff(Account.objects.annotate(ledger_sum=ledger), "cash", "ledger_sum", MONEY)
    rows = rows.filter(_differs("cash", "ledger_sum", MONEY_TOLERANCE)).order_by("pk")
    return _capped(
        rows.values("pk", "user__username", "kind", "cash", "ledger_sum"),
        lambda r: f"{_account(r['pk'], r['user__username'], r['kind'])}: cash {_money(r['cash'])} "
                  f"!= ledger sum {_money(r['ledger_sum'])}",
    )


# --- (c) every ledger transaction balances -----------------------------------------
def check_ledger_balanced() -> list[str]:
    rows = (LedgerEntry.objects.order_by().values("txn").annotate(total=Sum("amount", output_field=MONEY))
            .filter(Q(total__gt=MONEY_TOLERANCE) | Q(total__lt=-MONEY_TOLERANCE)).order_by("txn"))
    return _capped(rows, lambda r: f"ledger txn {r['txn']}: legs sum to {_money(r['total'])}, expected 0.00")


# --- (d) reserved cash is what open buy orders hold ----------------------------------
def check_reserved_cash() -> list[str]:
    held = _subsum(Order.objects.filter(account=OuterRef("pk"), side=Order.Side.BUY, status__in=OPEN),
                   "account", "reserved_cash", MONEY)
    rows = _with_diff(Account.objects.annotate(held=held), "reserved_cash", "held", MONEY)
    rows = rows.filter(_differs("reserved_cash", "held", MONEY_TOLERANCE)).order_by("pk")
    return _capped(
        rows.values("pk", "user__username", "kind", "reserved_cash", "held"),
        lambda r: f"{_account(r['pk'], r['user__username'], r['kind'])}: reserved_cash {_money(r['reserved_cash'])} "
                  f"!= {_money(r['held'])} held by its open buy orders",
    )


# --- (e) reserved quantity is what open sell orders hold ------------------------------
def _open_sell_qty():
    """What an open sell order holds: its open quantity, or with a pending replace to a
    larger quantity, what the larger version could still sell."""
    return Case(When(replace_qty__gt=F("qty"), then=F("replace_qty")), default=F("qty"), output_field=QTY) - F("filled_qty")


def check_reserved_qty() -> list[str]:
    held = _subsum(
        Order.objects.filter(account=OuterRef("account"), instrument=OuterRef("instrument"), side=Order.Side.SELL,
                             status__in=OPEN),
        "account", _open_sell_qty(), QTY)
    rows = _with_diff(Position.objects.annotate(held=held), "reserved_qty", "held", QTY)
    rows = rows.filter(_differs("reserved_qty", "held", QTY_TOLERANCE)).order_by("pk")
    lines = _capped(
        rows.values("pk", "account__user__username", "instrument__symbol", "reserved_qty", "held"),
        lambda r: f"{_position(r['pk'], r['account__user__username'], r['instrument__symbol'])}: reserved_qty "
                  f"{_num(r['reserved_qty'])} != {_num(r['held'])} held by its open sell orders",
    )
    has_position = Position.objects.filter(account=OuterRef("account"), instrument=OuterRef("instrument"))
    orphans = (Order.objects.filter(side=Order.Side.SELL, status__in=OPEN).exclude(Exists(has_position))
               .order_by("pk").values(*ORDER_LABEL_FIELDS))
    lines += _capped(
        orphans,
        lambda r: f"{_order(r['pk'], r['account__user__username'], r['instrument__symbol'])}: "
                  "open sell order but the account holds no position",
    )
    return lines


# --- (f) quantity is conserved -----------------------------------------------------------
def _net_traded(role: str):
    """Quantity an account bought minus sold in an instrument, through its orders in `role`."""
    trades = Trade.objects.filter(instrument=OuterRef("instrument"), **{f"{role}_order__account": OuterRef("account")})
    signed = Case(When(**{f"{role}_order__side": Order.Side.BUY}, then=F("qty")),
                  default=Value(ZERO, output_field=QTY) - F("qty"), output_field=QTY)
    return _subsum(trades, "instrument", signed, QTY)


def check_qty_conserved() -> list[str]:
    # Per instrument: trades only move quantity between positions.
    positions = _subsum(Position.objects.filter(instrument=OuterRef("pk")), "instrument", "qty", QTY)
    transfers = _subsum(PositionTransfer.objects.filter(instrument=OuterRef("pk")), "instrument", "qty", QTY)
    rows = _with_diff(Instrument.objects.annotate(held=positions, transferred=transfers), "held", "transferred", QTY)
    rows = rows.filter(_differs("held", "transferred", QTY_TOLERANCE)).order_by("symbol")
    lines = _capped(
        rows.values("symbol", "held", "transferred"),
        lambda r: f"instrument {r['symbol']}: positions hold {_num(r['held'])} but transfers brought in "
                  f"{_num(r['transferred'])}",
    )
    # Per position: what came in by transfer plus what it bought minus what it sold.
    transferred = _subsum(PositionTransfer.objects.filter(account=OuterRef("account"), instrument=OuterRef("instrument")),
                          "account", "qty", QTY)
    positions = Position.objects.annotate(transferred=transferred, as_maker=_net_traded("maker"),
                                          as_taker=_net_traded("taker"))
    positions = positions.annotate(expected=F("transferred") + F("as_maker") + F("as_taker"))
    positions = _with_diff(positions, "qty", "expected", QTY).filter(_differs("qty", "expected", QTY_TOLERANCE))
    lines += _capped(
        positions.order_by("pk").values("pk", "account__user__username", "instrument__symbol", "qty", "transferred",
                                        "as_maker", "as_taker"),
        lambda r: f"{_position(r['pk'], r['account__user__username'], r['instrument__symbol'])}: qty {_num(r['qty'])} "
                  f"!= transfers {_num(r['transferred'])} + net traded {_num(r['as_maker'] + r['as_taker'])}",
    )
    # Quantity that moved for an account that has no position row to show it.
    has_position = Position.objects.filter(account=OuterRef("account"), instrument=OuterRef("instrument"))
    unheld = (Order.objects.filter(filled_qty__gt=0).exclude(Exists(has_position))
              .order_by("pk").values(*ORDER_LABEL_FIELDS))
    lines += _capped(
        unheld,
        lambda r: f"{_order(r['pk'], r['account__user__username'], r['instrument__symbol'])}: "
                  "has fills but the account holds no position",
    )
    stray = (PositionTransfer.objects.exclude(Exists(has_position)).order_by("pk")
             .values("pk", "account_id", "account__user__username", "account__kind", "instrument__symbol"))
    lines += _capped(
        stray,
        lambda r: f"position transfer {r['pk']} ({r['instrument__symbol']}) to "
                  f"{_account(r['account_id'], r['account__user__username'], r['account__kind'])}: "
                  "the account holds no position",
    )
    return lines


# --- (g) an order's fills are its trades ---------------------------------------------------
def check_fills_match_trades() -> list[str]:
    def traded(role: str, expression, output):
        return _subsum(Trade.objects.filter(**{f"{role}_order": OuterRef("pk")}), f"{role}_order", expression, output)

    notional = F("price") * F("qty")
    orders = Order.objects.annotate(
        traded_qty=traded("maker", "qty", QTY) + traded("taker", "qty", QTY),
        traded_notional=traded("maker", notional, MONEY) + traded("taker", notional, MONEY),
    )
    orders = _with_diff(_with_diff(orders, "filled_qty", "traded_qty", QTY), "filled_notional", "traded_notional", MONEY)
    orders = orders.filter(_differs("filled_qty", "traded_qty", QTY_TOLERANCE)
                           | _differs("filled_notional", "traded_notional", MONEY_TOLERANCE))
    lines = _capped(
        orders.order_by("pk").values(*ORDER_LABEL_FIELDS, "filled_qty", "traded_qty", "filled_notional", "traded_notional"),
        lambda r: f"{_order(r['pk'], r['account__user__username'], r['instrument__symbol'])}: filled "
                  f"{_num(r['filled_qty'])} for {_money(r['filled_notional'])} but its trades sum to "
                  f"{_num(r['traded_qty'])} for {_money(r['traded_notional'])}",
    )
    overfilled = Order.objects.filter(filled_qty__gt=F("qty")).order_by("pk").values(*ORDER_LABEL_FIELDS, "qty", "filled_qty")
    lines += _capped(
        overfilled,
        lambda r: f"{_order(r['pk'], r['account__user__username'], r['instrument__symbol'])}: filled_qty "
                  f"{_num(r['filled_qty'])} exceeds qty {_num(r['qty'])}",
    )
    # A trade crosses a buy with a sell of its own instrument; the taker is the aggressor.
    mismatched = Trade.objects.filter(
        Q(maker_order__side=F("taker_order__side")) | ~Q(taker_order__side=F("aggressor_side"))
        | ~Q(maker_order__instrument=F("instrument")) | ~Q(taker_order__instrument=F("instrument"))
    ).order_by("pk").values("pk", "maker_order_id", "taker_order_id", "instrument__symbol")
    lines += _capped(
        mismatched,
        lambda r: f"trade {r['pk']} ({r['instrument__symbol']}): maker order #{r['maker_order_id']} and taker "
                  f"order #{r['taker_order_id']} do not form a buy/sell pair in that instrument led by the taker",
    )
    return lines


# --- (h) final states hold nothing ------------------------------------------------------------
def check_final_orders() -> list[str]:
    filled = _with_diff(Order.objects.filter(status=Order.Status.FILLED), "qty", "filled_qty", QTY)
    filled = filled.filter(_differs("qty", "filled_qty", QTY_TOLERANCE)).order_by("pk")
    lines = _capped(
        filled.values(*ORDER_LABEL_FIELDS, "qty", "filled_qty"),
        lambda r: f"{_order(r['pk'], r['account__user__username'], r['instrument__symbol'])}: status filled but "
                  f"filled_qty {_num(r['filled_qty'])} != qty {_num(r['qty'])}",
    )
    holding = Order.objects.filter(Q(status__in=FINAL) | Q(side=Order.Side.SELL), reserved_cash__gt=0).order_by("pk")
    lines += _capped(
        holding.values(*ORDER_LABEL_FIELDS, "status", "side", "reserved_cash"),
        lambda r: f"{_order(r['pk'], r['account__user__username'], r['instrument__symbol'])}: {r['status']} "
                  f"{r['side']} order still holds reserved_cash {_money(r['reserved_cash'])}",
    )
    return lines


# --- (i) nothing waits long for the engine ------------------------------------------------------
def check_stale_accepted(*, stale_after: timedelta = DEFAULT_STALE_AFTER, now=None) -> list[str]:
    cutoff = (now or timezone.now()) - stale_after
    stale = Order.objects.filter(Q(accepted_at__lt=cutoff) | Q(accepted_at__isnull=True, created_at__lt=cutoff),
                                 status=Order.Status.ACCEPTED).order_by("pk")
    minutes = _num(Decimal(stale_after.total_seconds()) / 60)
    return _capped(
        stale.values(*ORDER_LABEL_FIELDS, "accepted_at", "created_at"),
        lambda r: f"{_order(r['pk'], r['account__user__username'], r['instrument__symbol'])}: accepted at "
                  f"{(r['accepted_at'] or r['created_at']).isoformat()} and still not in the engine after {minutes} min",
    )


# --- (j) balances are sane ----------------------------------------------------------------------
def check_balances_sane() -> list[str]:
    accounts = (Account.objects.exclude(kind=Account.Kind.EXTERNAL)
                .filter(Q(cash__lte=F("reserved_cash") - MONEY_TOLERANCE) | Q(reserved_cash__lte=-MONEY_TOLERANCE))
                .order_by("pk"))
    lines = _capped(
        accounts.values("pk", "user__username", "kind", "cash", "reserved_cash"),
        lambda r: f"{_account(r['pk'], r['user__username'], r['kind'])}: needs cash >= reserved_cash >= 0 but has "
                  f"cash {_money(r['cash'])}, reserved_cash {_money(r['reserved_cash'])}",
    )
    positions = Position.objects.filter(Q(qty__lte=F("reserved_qty") - QTY_TOLERANCE)
                                        | Q(reserved_qty__lte=-QTY_TOLERANCE)).order_by("pk")
    lines += _capped(
        positions.values("pk", "account__user__username", "instrument__symbol", "qty", "reserved_qty"),
        lambda r: f"{_position(r['pk'], r['account__user__username'], r['instrument__symbol'])}: needs qty >= "
                  f"reserved_qty >= 0 but has qty {_num(r['qty'])}, reserved_qty {_num(r['reserved_qty'])}",
    )
    return lines


CHECKS: dict[str, Check] = {
    "cash_conserved": check_cash_conserved,
    "cash_matches_ledger": check_cash_matches_ledger,
    "ledger_balanced": check_ledger_balanced,
    "reserved_cash": check_reserved_cash,
    "reserved_qty": check_reserved_qty,
    "qty_conserved": check_qty_conserved,
    "fills_match_trades": check_fills_match_trades,
    "final_orders": check_final_orders,
    "balances_sane": check_balances_sane,
}


def audit_run(*, strict: bool = False, stale_after: timedelta = DEFAULT_STALE_AFTER) -> list[str]:
    """Every violation of the venue's invariants, as strings; empty when the books are sound.

    Orders still `accepted` after `stale_after` are violations only when `strict`
    (they are a symptom of a stopped engine or a lost command, not of corrupt books);
    otherwise `audit_warnings` reports them.
    """
    violations: list[str] = []
    for check in CHECKS.values():
        violations += check()
    if strict:
        violations += check_stale_accepted(stale_after=stale_after)
    return violations


def audit_warnings(*, stale_after: timedelta = DEFAULT_STALE_AFTER) -> list[str]:
    return check_stale_accepted(stale_after=stale_after)
