"""The feed process's database work. Blocking, so it only ever runs in the process's one
database thread (`in_db_thread`), never on the event loop."""

from decimal import Decimal

from django.db import transaction

from common.db.threads import in_db_thread
from marketdata.feeds.base import InstrumentInfo
from marketdata.models import Instrument


def load_instruments() -> list[InstrumentInfo]:
    return [InstrumentInfo(symbol=i.symbol, tick_size=i.tick_size, reference=i.reference_price or i.last_price,
                           trading=i.is_trading)
            for i in Instrument.objects.order_by("symbol")]


async def instruments_from_db() -> list[InstrumentInfo]:
    return await in_db_thread(load_instruments)()


def store_reference_prices(prices: dict[str, Decimal]) -> int:
    """Keep Instrument.reference_price current (the order services' price band reads it).
    Only rows whose price differs are written; returns how many were."""
    changed = 0
    with transaction.atomic():
        for symbol, price in sorted(prices.items()):
            changed += Instrument.objects.filter(symbol=symbol).exclude(reference_price=price).update(
                reference_price=price)
    return changed
