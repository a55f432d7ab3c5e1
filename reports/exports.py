"""CSV exports of a trader's own orders and fills over a range of trading days (REST and the
browser's reports page). The range is checked here: both ends given, start <= end, and at most
MAX_EXPORT_DAYS days; anything else is a ServiceError of kind "invalid" (400) naming the field."""

from datetime import date

from common.errors import invalid
from common.times import utc_iso
from orders.models import Account, Order
from orders.risk_selectors import day_bounds
from reports.render import money_text, num_text, rows_csv
from reports.statements import FILL_COLUMNS_EXPORT, account_fills

MAX_EXPORT_DAYS = 366
ORDER_COLUMNS = ["id", "client_order_id", "created_at", "symbol", "side", "type", "time_in_force", "qty",
                 "limit_price", "stop_price", "status", "filled_qty", "avg_fill_price", "reject_reason"]


def _parse_day(field: str, raw: str | None) -> date:
    if not raw:
        raise invalid(field, f"{field} is required (YYYY-MM-DD).")
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise invalid(field, f"{field} must be a date as YYYY-MM-DD.") from None


def export_range(*, start: str | None, end: str | None) -> tuple[date, date]:
    """(first day, last day), both included."""
    first, last = _parse_day("start", start), _parse_day("end", end)
    if last < first:
        raise invalid("end", "end must not be before start.")
    if (last - first).days + 1 > MAX_EXPORT_DAYS:
        raise invalid("end", f"A range covers at most {MAX_EXPORT_DAYS} days.")
    return first, last


def orders_csv(*, account: Account, first: date, last: date):
    start, end = day_bounds(day=first)[0], day_bounds(day=last)[1]
    orders = (Order.objects.filter(account=account, created_at__gte=start, created_at__lt=end)
              .select_related("instrument").order_by("id"))
    return rows_csv(ORDER_COLUMNS, ([o.pk, o.client_order_id or "", utc_iso(o.created_at), o.instrument.symbol, o.side,
                                     o.type, o.time_in_force, num_text(o.qty), num_text(o.limit_price), num_text(o.stop_price),
                                     o.status, num_text(o.filled_qty), num_text(o.avg_fill_price), o.reject_reason]
                                    for o in orders.iterator(chunk_size=2000)))


def fills_csv(*, account: Account, first: date, last: date):
    start, end = day_bounds(day=first)[0], day_bounds(day=last)[1]
    fills = account_fills(account_id=account.pk, start=start, end=end)
    return rows_csv(FILL_COLUMNS_EXPORT, ([utc_iso(f.ts), f.trade_id, f.order_id, f.symbol, f.side, num_text(f.qty),
                                           num_text(f.price), money_text(f.notional), money_text(f.fee), f.liquidity]
                                          for f in fills))
