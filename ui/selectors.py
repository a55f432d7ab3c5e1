"""Reads the browser pages need beyond the public API: the session open of each instrument,
so the watchlist can show the change since the open (the quote carries only the last price)."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings

from marketdata.models import Instrument
from orders.models import Trade


def session_start(now: datetime | None = None) -> datetime:
    """The current session began at the latest session close (SESSION_CLOSE_UTC) before now."""
    now = now or datetime.now(UTC)
    hour, _, minute = settings.SESSION_CLOSE_UTC.partition(":")
    close = datetime.combine(now.date(), time(int(hour), int(minute)), tzinfo=UTC)
    return close if close <= now else close - timedelta(days=1)


def session_opens(*, instruments: list[Instrument], now: datetime | None = None) -> dict[str, Decimal | None]:
    """symbol -> the price of its first trade of the session, else its reference price (the
    price the session opened against), else None."""
    start = session_start(now)
    opens: dict[str, Decimal | None] = {}
    for instrument in instruments:
        first = (Trade.objects.filter(instrument=instrument, created_at__gte=start)
                 .order_by("id").values_list("price", flat=True).first())
        opens[instrument.symbol] = first if first is not None else instrument.reference_price
    return opens
