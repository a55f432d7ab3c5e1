"""What an account's statement of one trading day says, read from the system of record
(docs/reports.md). Every figure comes from the ledger, the trades and the position transfers:

- closing cash = cash now - the account's ledger entries after the day;
  opening cash = closing cash - the ledger entries of the day
  (so opening + deposits - withdrawals + trades - fees = closing, to the cent, by the ledger);
- positions at the close = quantity now - fills and transfers after the day; at the open, less
  those of the day; each valued at the last trade price up to that moment;
- realized P&L of the day: the account's history of each symbol replayed with the engine's
  average-cost rule (orders/worker/settlement.py), summing the sells of the day.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Sum

from orders.models import Account, LedgerEntry, Order, Position, PositionTransfer, Trade
from orders.risk_selectors import day_bounds

ZERO = Decimal("0")
FILL_COLUMNS_EXPORT = ["ts", "trade_id", "order_id", "symbol", "side", "qty", "price", "notional", "fee", "liquidity"]
CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.00000001")


@dataclass(frozen=True)
class Fill:
    ts: datetime
    trade_id: int
    order_id: int
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    fee: Decimal
    liquidity: str

    @property
    def notional(self) -> Decimal:
        return (self.qty * self.price).quantize(CENT)


@dataclass(frozen=True)
class CashMovement:
    ts: datetime
    kind: str
    amount: Decimal
    memo: str


@dataclass(frozen=True)
class Holding:
    symbol: str
    opening_qty: Decimal
    closing_qty: Decimal
    closing_price: Decimal | None

    @property
    def closing_value(self) -> Decimal | None:
        return None if self.closing_price is None else (self.closing_qty * self.closing_price).quantize(CENT)


@dataclass
class StatementData:
    account_id: int
    owner: str
    currency: str
    day: date
    opening_cash: Decimal = ZERO
    closing_cash: Decimal = ZERO
    deposits: Decimal = ZERO
    withdrawals: Decimal = ZERO
    trades_cash: Decimal = ZERO
    fees: Decimal = ZERO
    realized_pl: Decimal = ZERO
    fills: list[Fill] = field(default_factory=list)
    movements: list[CashMovement] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)


def _ledger_sum(account_id: int, **filters) -> Decimal:
    return LedgerEntry.objects.filter(account_id=account_id, **filters).aggregate(s=Sum("amount"))["s"] or ZERO


def account_fills(*, account_id: int, start: datetime, end: datetime) -> list[Fill]:
    """The account's fills with created_at in [start, end), oldest first (one per order of the account in a trade)."""
    fills = []
    for role in ("maker", "taker"):
        rows = (Trade.objects.filter(**{f"{role}_order__account_id": account_id}, created_at__gte=start,
                                     created_at__lt=end)
                .values_list("created_at", "id", f"{role}_order_id", "instrument__symbol", f"{role}_order__side", "qty",
                             "price", f"{role}_fee").order_by())
        fills += [Fill(ts=ts, trade_id=tid, order_id=oid, symbol=symbol, side=side, qty=qty, price=price, fee=fee,
                       liquidity=role) for ts, tid, oid, symbol, side, qty, price, fee in rows]
    return sorted(fills, key=lambda f: (f.trade_id, f.liquidity))


def _history(account_id: int, instrument_id: int, before: datetime):
    """(ts, order, kind, qty signed, price) of the account's fills and transfers of one symbol before `before`."""
    events = []
    for role in ("maker", "taker"):
        rows = (Trade.objects.filter(**{f"{role}_order__account_id": account_id}, instrument_id=instrument_id,
                                     created_at__lt=before)
                .values_list("created_at", "id", f"{role}_order__side", "qty", "price").order_by())
        events += [(ts, (1, tid), qty if side == Order.Side.BUY else -qty, price) for ts, tid, side, qty, price in rows]
    rows = (PositionTransfer.objects.filter(account_id=account_id, instrument_id=instrument_id, created_at__lt=before)
            .values_list("created_at", "id", "qty", "price"))
    events += [(ts, (0, pk), qty, price) for ts, pk, qty, price in rows]
    return sorted(events, key=lambda e: (e[0], e[1]))


def realized_between(*, account_id: int, instrument_id: int, start: datetime, end: datetime) -> Decimal:
    """Realized P&L of the sells in [start, end), by the engine's average-cost rule."""
    held, avg, realized = ZERO, ZERO, ZERO
    for ts, (kind, _), qty, price in _history(account_id, instrument_id, end):
        if qty > 0:
            # 8 places: the engine rounds so, and the database keeps a grant's average so
            avg = ((avg * held + price * qty) / (held + qty)).quantize(PRICE_PLACES, ROUND_HALF_EVEN)
            held += qty
        else:
            if kind == 1 and ts >= start:
                realized += ((price - avg) * -qty).quantize(CENT, ROUND_HALF_EVEN)
            held += qty
            if not held:
                avg = ZERO
    return realized


def _last_price(instrument_id: int, before: datetime) -> Decimal | None:
    return (Trade.objects.filter(instrument_id=instrument_id, created_at__lt=before).order_by("-id")
            .values_list("price", flat=True).first())


def statement_data(*, account: Account, day: date) -> StatementData:
    start, end = day_bounds(day=day)
    data = StatementData(account_id=account.pk, owner=str(account), currency=account.currency, day=day)
    after = _ledger_sum(account.pk, created_at__gte=end)
    account.refresh_from_db(fields=["cash"])
    data.closing_cash = account.cash - after
    of_day = {kind: total for kind, total in LedgerEntry.objects.filter(
        account_id=account.pk, created_at__gte=start, created_at__lt=end).values_list("kind").annotate(t=Sum("amount"))}
    data.opening_cash = data.closing_cash - sum(of_day.values(), ZERO)
    data.deposits = of_day.get(LedgerEntry.Kind.DEPOSIT, ZERO)
    data.withdrawals = -of_day.get(LedgerEntry.Kind.WITHDRAWAL, ZERO)
    data.trades_cash = of_day.get(LedgerEntry.Kind.TRADE, ZERO)
    data.fees = -of_day.get(LedgerEntry.Kind.FEE, ZERO)
    data.movements = [CashMovement(ts=ts, kind=kind, amount=amount, memo=memo) for ts, kind, amount, memo in
                      LedgerEntry.objects.filter(account_id=account.pk, created_at__gte=start, created_at__lt=end,
                                                 kind__in=(LedgerEntry.Kind.DEPOSIT, LedgerEntry.Kind.WITHDRAWAL))
                      .order_by("id").values_list("created_at", "kind", "amount", "memo")]
    data.fills = account_fills(account_id=account.pk, start=start, end=end)
    later = account_fills(account_id=account.pk, start=end, end=datetime.max.replace(tzinfo=end.tzinfo))
    moved_after: dict[str, Decimal] = {}
    moved_during: dict[str, Decimal] = {}
    for fills, moved in ((later, moved_after), (data.fills, moved_during)):
        for f in fills:
            moved[f.symbol] = moved.get(f.symbol, ZERO) + (f.qty if f.side == Order.Side.BUY else -f.qty)
    for symbol, ts, qty in PositionTransfer.objects.filter(account_id=account.pk, created_at__gte=start).values_list(
            "instrument__symbol", "created_at", "qty"):
        target = moved_after if ts >= end else moved_during
        target[symbol] = target.get(symbol, ZERO) + qty
    for p in Position.objects.filter(account_id=account.pk).select_related("instrument").order_by("instrument__symbol"):
        symbol = p.instrument.symbol
        closing = p.qty - moved_after.get(symbol, ZERO)
        opening = closing - moved_during.get(symbol, ZERO)
        if opening or closing:
            data.holdings.append(Holding(symbol=symbol, opening_qty=opening, closing_qty=closing,
                                         closing_price=_last_price(p.instrument_id, end)))
        if any(f.symbol == symbol and f.side == Order.Side.SELL for f in data.fills):
            data.realized_pl += realized_between(account_id=account.pk, instrument_id=p.instrument_id,
                                                 start=start, end=end)
    return data


def accounts_active_on(*, day: date) -> list[int]:
    """Trader accounts that had a ledger entry that day, or hold anything: who gets a statement."""
    start, end = day_bounds(day=day)
    moved = set(LedgerEntry.objects.filter(created_at__gte=start, created_at__lt=end,
                                           account__kind=Account.Kind.TRADER).values_list("account_id", flat=True))
    existing = Account.objects.filter(kind=Account.Kind.TRADER, created_at__lt=end)
    holding = set(Position.objects.exclude(qty=0).filter(account__in=existing).values_list("account_id", flat=True))
    funded = set(existing.exclude(cash=0).values_list("pk", flat=True))
    return sorted(moved | holding | funded)
