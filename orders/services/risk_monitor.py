"""The daily loss watch (docs/risk.md): one pass over the unfrozen accounts that have a max daily
loss (optionally only those holding one of the symbols whose price just moved), each one's
today's P&L marked to the current prices, and a trip of the account's kill switch where it is at or
below minus its limit. The analytics process runs a pass as trades arrive (at most every
RISK_MONITOR_INTERVAL seconds); it is also safe to run from anywhere (a trip happens once)."""

from collections.abc import Callable, Iterable

from common.decimals import format_decimal
from orders.models import Position, RiskLimit
from orders.risk_selectors import account_today_pl
from orders.services.trip import Trip, account_trip

DAILY_LOSS = "daily_loss_limit"


def _watched(symbols: Iterable[str] | None) -> dict[int, object]:
    limits = RiskLimit.objects.filter(max_daily_loss__isnull=False, account__frozen=False)
    if symbols is not None:
        holders = Position.objects.filter(instrument__symbol__in=list(symbols)).values("account_id")
        limits = limits.filter(account_id__in=holders)
    return dict(limits.values_list("account_id", "max_daily_loss"))


def risk_monitor_run(*, symbols: Iterable[str] | None = None,
                     notify: Callable[[Trip], None] | None = None) -> list[Trip]:
    """Trip every watched account whose today's P&L reached its daily loss limit; returns the trips."""
    trips = []
    for account_id, max_loss in sorted(_watched(symbols).items()):
        today = account_today_pl(account_id=account_id)
        if today > -max_loss:
            continue
        detail = (f"today's P&L {format_decimal(today, 2)} reached the daily loss limit of "
                  f"{format_decimal(max_loss, 2)}")
        trip = account_trip(account_id=account_id, code=DAILY_LOSS, detail=detail, today_pl=today, notify=notify)
        if trip is not None:
            trips.append(trip)
    return trips
