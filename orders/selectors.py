"""Reads of a trader's own account, positions, orders and fills. Every function takes the
account and filters by it, so one account never reads another's rows."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, F, QuerySet, Value

from orders.models import Account, Order, Position, Trade

ZERO = Decimal("0")

ORDER_STATUS_FILTERS = {
    "open": Order.OPEN_STATUSES,
    "closed": Order.FINAL_STATUSES,
    "all": None,
}


@dataclass(frozen=True)
class PositionValue:
    instrument: object
    qty: Decimal
    reserved_qty: Decimal
    avg_price: Decimal
    market_price: Decimal
    market_value: Decimal
    unrealized_pl: Decimal
    realized_pl: Decimal

    @property
    def symbol(self) -> str:
        return self.instrument.symbol


def mark_price(*, position: Position) -> Decimal:
    """The price a position is valued at: last trade, else reference, else its own cost."""
    instrument = position.instrument
    return instrument.last_price or instrument.reference_price or position.avg_price


def _valued(position: Position) -> PositionValue:
    mark = mark_price(position=position)
    return PositionValue(
        instrument=position.instrument,
        qty=position.qty,
        reserved_qty=position.reserved_qty,
        avg_price=position.avg_price,
        market_price=mark,
        market_value=position.qty * mark,
        unrealized_pl=position.qty * (mark - position.avg_price),
        realized_pl=position.realized_pl,
    )


def _positions(*, account: Account) -> QuerySet[Position]:
    return Position.objects.filter(account=account).select_related("instrument").order_by("instrument__symbol")


def position_list(*, account: Account) -> list[PositionValue]:
    """Open positions (quantity held), by symbol, valued at their mark price."""
    return [_valued(p) for p in _positions(account=account).exclude(qty=0)]


def account_summary(*, account: Account) -> dict:
    """Balances and P&L. equity = cash + market value of the positions; realized P&L counts
    closed positions too."""
    valued = [_valued(p) for p in _positions(account=account)]
    return {
        "id": account.pk,
        "currency": account.currency,
        "cash": account.cash,
        "reserved_cash": account.reserved_cash,
        "buying_power": account.cash - account.reserved_cash,
        "equity": account.cash + sum((v.market_value for v in valued), ZERO),
        "realized_pl": sum((v.realized_pl for v in valued), ZERO),
        "unrealized_pl": sum((v.unrealized_pl for v in valued), ZERO),
    }


def order_list(*, account: Account, status: str = "all", symbol: str | None = None) -> QuerySet[Order]:
    """My orders, newest first. status: open, closed or all."""
    orders = Order.objects.filter(account=account).select_related("instrument")
    statuses = ORDER_STATUS_FILTERS[status]
    if statuses is not None:
        orders = orders.filter(status__in=statuses)
    if symbol:
        orders = orders.filter(instrument__symbol=symbol)
    return orders.order_by("-id")


def order_get(*, account: Account, order_id: int) -> Order | None:
    return Order.objects.select_related("instrument").filter(account=account, pk=order_id).first()


def order_get_by_client_id(*, account: Account, client_order_id: str) -> Order | None:
    return Order.objects.select_related("instrument").filter(account=account, client_order_id=client_order_id).first()


def _fills_as(role: str, *, account: Account, symbol: str | None, order_id: int | None) -> QuerySet:
    order = f"{role}_order"
    # No ordering here: the union is ordered as a whole (SQLite refuses ordered parts).
    trades = Trade.objects.filter(**{f"{order}__account": account}).order_by()
    if symbol:
        trades = trades.filter(instrument__symbol=symbol)
    if order_id is not None:
        trades = trades.filter(**{f"{order}_id": order_id})
    return trades.annotate(
        trade_id=F("id"),
        order_id=F(f"{order}_id"),
        symbol=F("instrument__symbol"),
        tick_size=F("instrument__tick_size"),
        lot_size=F("instrument__lot_size"),
        side=F(f"{order}__side"),
        fee=F(f"{role}_fee"),
        liquidity=Value(role, output_field=CharField()),
        ts=F("created_at"),
    ).values("trade_id", "order_id", "symbol", "tick_size", "lot_size", "side", "price", "qty", "fee",
             "liquidity", "ts")


def trade_list(*, account: Account, symbol: str | None = None, order_id: int | None = None) -> QuerySet:
    """My fills, newest first: one row per trade for each of my orders in it, with my side,
    my fee and my liquidity (maker if my order rested, taker if it crossed)."""
    as_maker = _fills_as("maker", account=account, symbol=symbol, order_id=order_id)
    as_taker = _fills_as("taker", account=account, symbol=symbol, order_id=order_id)
    return as_maker.union(as_taker, all=True).order_by("-trade_id", "liquidity")


def public_trade_list(*, symbol: str, limit: int = 50) -> QuerySet[Trade]:
    """The public tape of a symbol, newest first (no account: what every client may see)."""
    return Trade.objects.filter(instrument__symbol=symbol).order_by("-id")[:limit]


def order_list_by_ids(*, account: Account, order_ids: list[int]) -> list[Order]:
    """These orders of the account, in the order of `order_ids` (others' and unknown ids left out)."""
    found = {o.pk: o for o in Order.objects.select_related("instrument").filter(account=account, pk__in=order_ids)}
    return [found[pk] for pk in order_ids if pk in found]


def order_history(*, account: Account, status: str = "open", symbols: list[str] | None = None,
                  side: str | None = None, after=None, until=None, ascending: bool = False,
                  limit: int = 50) -> list[Order]:
    """My orders created strictly after `after` and before `until`, by creation (newest first unless
    `ascending`), at most `limit` (the Alpaca-compatible list, gateways.alpaca)."""
    orders = Order.objects.filter(account=account).select_related("instrument")
    statuses = ORDER_STATUS_FILTERS[status]
    if statuses is not None:
        orders = orders.filter(status__in=statuses)
    if symbols:
        orders = orders.filter(instrument__symbol__in=symbols)
    if side:
        orders = orders.filter(side=side)
    if after is not None:
        orders = orders.filter(created_at__gt=after)
    if until is not None:
        orders = orders.filter(created_at__lt=until)
    return list(orders.order_by("id" if ascending else "-id")[:limit])


def position_qtys(*, account_id: int, symbols) -> dict[str, Decimal]:
    """{symbol: qty held} of the account, 0 for symbols it holds none of."""
    held = dict(Position.objects.filter(account_id=account_id, instrument__symbol__in=list(symbols))
                .values_list("instrument__symbol", "qty"))
    return {symbol: held.get(symbol, ZERO) for symbol in symbols}


def order_list_by_ids(*, account: Account, order_ids: list[int]) -> list[Order]:
    """These orders of mine, by id (the others are not mine: left out)."""
    return list(Order.objects.filter(account=account, pk__in=order_ids).select_related("instrument").order_by("id"))
