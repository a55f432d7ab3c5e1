"""The venue's figures of one trading day, for ops (docs/reports.md): volume, notional and trades per
symbol, fees collected, engine lag p99 (order accepted -> taken into an engine batch, from the
orders' own times), refusals by code, and the top accounts by traded notional. JSON-ready: money
and quantities as strings."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Sum

from common.decimals import format_cash, format_decimal
from orders.models import Order, Trade
from orders.risk_selectors import day_bounds

ZERO = Decimal("0")
TOP_ACCOUNTS = 10
# The lag percentile reads at most this many orders of the day (the latest).
LAG_SAMPLE = 200_000


def _p99_ms(start, end) -> float | None:
    rows = (Order.objects.filter(accepted_at__gte=start, accepted_at__lt=end, engine_at__isnull=False)
            .order_by("-id").values_list("accepted_at", "engine_at")[:LAG_SAMPLE])
    lags = sorted(max(0.0, (engine - accepted).total_seconds() * 1000) for accepted, engine in rows)
    if not lags:
        return None
    return round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 3)


def venue_day_figures(*, day: date) -> dict:
    start, end = day_bounds(day=day)
    trades = Trade.objects.filter(created_at__gte=start, created_at__lt=end)
    symbols = [{"symbol": row["instrument__symbol"], "trades": row["n"], "volume": format_decimal(row["volume"], 0),
                "notional": format_cash(row["notional"] or ZERO)}
               for row in trades.values("instrument__symbol").annotate(
                   n=Count("id"), volume=Sum("qty"), notional=Sum(F("qty") * F("price"))).order_by("instrument__symbol")]
    fees = trades.aggregate(maker=Sum("maker_fee"), taker=Sum("taker_fee"))
    refusals = {row["reject_reason"] or "unknown": row["n"] for row in Order.objects.filter(
        created_at__gte=start, created_at__lt=end, status=Order.Status.REJECTED).values("reject_reason")
        .annotate(n=Count("id")).order_by("reject_reason")}
    by_account: dict[str, Decimal] = {}
    for role in ("maker", "taker"):
        for name, notional in (trades.values(f"{role}_order__account__user__username")
                               .annotate(notional=Sum(F("qty") * F("price")))
                               .values_list(f"{role}_order__account__user__username", "notional")):
            key = name or "(system)"
            by_account[key] = by_account.get(key, ZERO) + (notional or ZERO)
    top = sorted(by_account.items(), key=lambda item: (-item[1], item[0]))[:TOP_ACCOUNTS]
    return {
        "day": day.isoformat(),
        "trades": sum(s["trades"] for s in symbols),
        "notional": format_cash(sum((Decimal(s["notional"]) for s in symbols), ZERO)),
        "symbols": symbols,
        "fees": format_cash((fees["maker"] or ZERO) + (fees["taker"] or ZERO)),
        "engine_lag_p99_ms": _p99_ms(start, end),
        "refusals": refusals,
        "top_accounts": [{"account": name, "notional": format_cash(notional)} for name, notional in top],
    }


def last_days(*, until: date, days: int = 30) -> list[date]:
    return [until - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
