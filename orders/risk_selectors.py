"""Reads of an account's live risk: exposure, open-order notional, P&L marked to the current
price and today's P&L (docs/risk.md). The order path checks limits with `open_order_figures` and
`position_figures`; the REST view, the browser and the analytics process's risk monitor read
`account_risk`.

A trading day is a UTC calendar day. Today's P&L is the change of the account's equity since the
day began, less the money and securities moved in or out by ops:

    today_pl = (trade and fee ledger entries of today)
             + sum over symbols of (qty now x mark now - qty at the open x mark at the open
                                    - value of today's position transfers)

where the mark is the last trade price (else the reference price, else the position's cost) and
the mark at the open is the last trade price before the day began (else the position's cost).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from decimal import Decimal

from django.db import connection
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone

from marketdata.models import Instrument
from orders.models import Account, LedgerEntry, Order, Position, PositionTransfer, RiskLimit, Trade

ZERO = Decimal("0")
CENT = Decimal("0.01")
PLACES_8 = Decimal("0.00000001")


def trading_day(*, at: datetime | None = None) -> date:
    return (at or timezone.now()).astimezone(dt_timezone.utc).date()


def day_bounds(*, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a trading day, in UTC."""
    start = datetime.combine(day, time.min, tzinfo=dt_timezone.utc)
    return start, start + timedelta(days=1)


def instrument_mark(*, last_price: Decimal | None, reference_price: Decimal | None, avg_price: Decimal) -> Decimal:
    """The price a position is valued at (as orders.selectors.mark_price)."""
    return last_price or reference_price or avg_price


@dataclass
class OpenOrderFigures:
    """The unfilled part of an account's open orders, in cash at each order's price."""

    buy_notional: Decimal = ZERO
    sell_notional: Decimal = ZERO
    buy_qty: dict[int, Decimal] = field(default_factory=dict)  # instrument id -> open buy qty

    @property
    def notional(self) -> Decimal:
        return self.buy_notional + self.sell_notional


def _as_decimal(value) -> Decimal:
    """A sum as the database returns it: Decimal on PostgreSQL, a float or int on SQLite (its decimal
    columns are numeric there), rounded back to the 8 places every quantity and price has."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)).quantize(PLACES_8)


_open_orders_sql: dict[tuple[str, str], str] = {}


def _open_orders_statement() -> str:
    """Compiled once per database: on the order path, building the ORM query cost more than running it."""
    key = (connection.alias, connection.vendor)
    if key not in _open_orders_sql:
        quote, order, instrument = connection.ops.quote_name, Order._meta, Instrument._meta
        o, i = quote(order.db_table), quote(instrument.db_table)
        statuses = ", ".join(["%s"] * len(Order.OPEN_STATUSES))
        _open_orders_sql[key] = (
            f"SELECT {o}.instrument_id, {o}.side, SUM({o}.qty - {o}.filled_qty), "
            f"SUM(({o}.qty - {o}.filled_qty) * COALESCE({o}.limit_price, {o}.reserve_price, {o}.stop_price, "
            f"{i}.last_price, {i}.reference_price, 0)) "
            f"FROM {o} INNER JOIN {i} ON {i}.id = {o}.instrument_id "
            f"WHERE {o}.account_id = %s AND {o}.status IN ({statuses}) GROUP BY {o}.instrument_id, {o}.side")
    return _open_orders_sql[key]


def open_order_figures(*, account_id: int) -> OpenOrderFigures:
    """One aggregate query over the account's open orders (by symbol and side, summed in the
    database). An order without a price of its own (market, stop) counts at its reservation price,
    else its stop, else the instrument's mark."""
    figures = OpenOrderFigures()
    with connection.cursor() as cursor:
        cursor.execute(_open_orders_statement(), [account_id, *[str(s) for s in Order.OPEN_STATUSES]])
        rows = cursor.fetchall()
    for instrument_id, side, qty, notional in rows:
        if side == Order.Side.BUY:
            figures.buy_notional += _as_decimal(notional)
            figures.buy_qty[instrument_id] = figures.buy_qty.get(instrument_id, ZERO) + _as_decimal(qty)
        else:
            figures.sell_notional += _as_decimal(notional)
    return figures


@dataclass(frozen=True)
class PositionFigure:
    instrument_id: int
    symbol: str
    qty: Decimal
    avg_price: Decimal
    mark: Decimal
    realized_pl: Decimal

    @property
    def market_value(self) -> Decimal:
        return self.qty * self.mark

    @property
    def unrealized_pl(self) -> Decimal:
        return self.qty * (self.mark - self.avg_price)


_positions_sql: dict[tuple[str, str], str] = {}


def position_figures(*, account_id: int) -> list[PositionFigure]:
    """One query (compiled once per database): every position row of the account, closed ones too
    (they carry realized P&L), by symbol."""
    key = (connection.alias, connection.vendor)
    if key not in _positions_sql:
        quote = connection.ops.quote_name
        p, i = quote(Position._meta.db_table), quote(Instrument._meta.db_table)
        _positions_sql[key] = (
            f"SELECT {p}.instrument_id, {i}.symbol, {p}.qty, {p}.avg_price, {p}.realized_pl, {i}.last_price, "
            f"{i}.reference_price FROM {p} INNER JOIN {i} ON {i}.id = {p}.instrument_id "
            f"WHERE {p}.account_id = %s ORDER BY {i}.symbol")
    with connection.cursor() as cursor:
        cursor.execute(_positions_sql[key], [account_id])
        rows = cursor.fetchall()
    figures = []
    for iid, symbol, qty, avg, realized, last, reference in rows:
        qty, avg, realized = _as_decimal(qty), _as_decimal(avg), _as_decimal(realized).quantize(CENT)
        last = None if last is None else _as_decimal(last)
        reference = None if reference is None else _as_decimal(reference)
        figures.append(PositionFigure(instrument_id=iid, symbol=symbol, qty=qty, avg_price=avg, realized_pl=realized,
                                      mark=instrument_mark(last_price=last, reference_price=reference, avg_price=avg)))
    return figures


def _signed_fills_since(*, account_id: int, since: datetime) -> dict[int, Decimal]:
    """instrument id -> quantity bought minus sold by the account since `since`."""
    moved: dict[int, Decimal] = {}
    for role in ("maker", "taker"):
        rows = (Trade.objects.filter(**{f"{role}_order__account_id": account_id}, created_at__gte=since)
                .values_list("instrument_id", "qty", f"{role}_order__side").order_by())
        for instrument_id, qty, side in rows:
            moved[instrument_id] = moved.get(instrument_id, ZERO) + (qty if side == Order.Side.BUY else -qty)
    return moved


def account_today_pl(*, account_id: int, positions: list[PositionFigure] | None = None,
                     at: datetime | None = None) -> Decimal:
    """Today's P&L of the account (module docstring), to the cent."""
    start, _ = day_bounds(day=trading_day(at=at))
    positions = position_figures(account_id=account_id) if positions is None else positions
    cash = (LedgerEntry.objects.filter(account_id=account_id, created_at__gte=start,
                                       kind__in=(LedgerEntry.Kind.TRADE, LedgerEntry.Kind.FEE))
            .aggregate(total=Sum("amount"))["total"] or ZERO)
    fills = _signed_fills_since(account_id=account_id, since=start)
    transfers: dict[int, tuple[Decimal, Decimal]] = {}
    for instrument_id, qty, price in (PositionTransfer.objects.filter(account_id=account_id, created_at__gte=start)
                                      .values_list("instrument_id", "qty", "price")):
        moved, value = transfers.get(instrument_id, (ZERO, ZERO))
        transfers[instrument_id] = (moved + qty, value + qty * price)
    opening_qty = {p.instrument_id: p.qty - fills.get(p.instrument_id, ZERO)
                   - transfers.get(p.instrument_id, (ZERO, ZERO))[0] for p in positions}
    held_at_open = [iid for iid, qty in opening_qty.items() if qty]
    marks_at_open = _last_prices_before(instrument_ids=held_at_open, before=start)
    total = cash
    for p in positions:
        opening = opening_qty[p.instrument_id]
        mark_open = marks_at_open.get(p.instrument_id) or p.avg_price
        total += p.qty * p.mark - opening * mark_open - transfers.get(p.instrument_id, (ZERO, ZERO))[1]
    return total.quantize(CENT)


def _last_prices_before(*, instrument_ids: list[int], before: datetime) -> dict[int, Decimal]:
    if not instrument_ids:
        return {}
    last = Trade.objects.filter(instrument_id=OuterRef("pk"), created_at__lt=before).order_by("-id").values("price")[:1]
    return {pk: price for pk, price in Instrument.objects.filter(pk__in=instrument_ids)
            .annotate(price=Subquery(last)).values_list("pk", "price") if price is not None}


def account_risk(*, account: Account, at: datetime | None = None) -> dict:
    """The account's live risk and its limits (GET account/risk/)."""
    positions = position_figures(account_id=account.pk)
    orders = open_order_figures(account_id=account.pk)
    limits = RiskLimit.objects.filter(account_id=account.pk).first()
    long = sum((p.market_value for p in positions if p.qty > 0), ZERO)
    short = sum((-p.market_value for p in positions if p.qty < 0), ZERO)
    return {
        "account_id": account.pk,
        "currency": account.currency,
        "gross_exposure": (long + short).quantize(CENT),
        "net_exposure": (long - short).quantize(CENT),
        "open_order_notional": orders.notional.quantize(CENT),
        "open_buy_notional": orders.buy_notional.quantize(CENT),
        "open_sell_notional": orders.sell_notional.quantize(CENT),
        "realized_pl": sum((p.realized_pl for p in positions), ZERO).quantize(CENT),
        "unrealized_pl": sum((p.unrealized_pl for p in positions), ZERO).quantize(CENT),
        "today_pl": account_today_pl(account_id=account.pk, positions=positions, at=at),
        "frozen": account.frozen,
        "frozen_reason": account.frozen_reason,
        "limits": {
            "max_position_qty": limits.max_position_qty if limits else None,
            "max_gross_exposure": limits.max_gross_exposure if limits else None,
            "max_open_notional": limits.max_open_notional if limits else None,
            "max_daily_loss": limits.max_daily_loss if limits else None,
            "max_orders_per_second": limits.max_orders_per_second if limits else None,
        },
        "positions": [{"symbol": p.symbol, "qty": p.qty, "mark": p.mark, "market_value": p.market_value.quantize(CENT),
                       "unrealized_pl": p.unrealized_pl.quantize(CENT)} for p in positions if p.qty],
    }

