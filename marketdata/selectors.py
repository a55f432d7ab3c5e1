"""Reads of the venue's reference data: instruments and their candles."""

import time

from django.conf import settings
from django.db.models import Max

from marketdata.models import Candle, Instrument


def instrument_list():
    return Instrument.objects.all()


def instrument_get(*, symbol: str) -> Instrument | None:
    return Instrument.objects.filter(symbol=symbol).first()


# symbol -> (monotonic deadline, instrument or None when unknown); this process only.
_instruments: dict[str, tuple[float, Instrument | None]] = {}


def instruments_get_cached(*, symbols) -> dict[str, Instrument]:
    """{symbol: instrument} of the known ones among `symbols`, each read from the database at most
    once per INSTRUMENT_CACHE_SECONDS in this process (the order path reads them on every order).
    A change is seen at once in the process that made it (signals and `instrument_cache_clear`) and
    within that many seconds elsewhere; the engine refuses orders on a halted symbol in any case.
    The objects are shared: callers read them and never change them."""
    now, found, missing = time.monotonic(), {}, []
    for symbol in set(symbols):
        hit = _instruments.get(symbol)
        if hit is None or hit[0] <= now:
            missing.append(symbol)
        elif hit[1] is not None:
            found[symbol] = hit[1]
    if missing:
        loaded = {i.symbol: i for i in Instrument.objects.filter(symbol__in=missing)}
        found.update(loaded)
        ttl = settings.INSTRUMENT_CACHE_SECONDS
        if ttl > 0:
            if len(_instruments) > 10_000:  # unknown symbols are remembered too: keep that bounded
                _instruments.clear()
            for symbol in missing:
                _instruments[symbol] = (now + ttl, loaded.get(symbol))
    return found


def instrument_cache_clear(**_) -> None:
    _instruments.clear()


def candle_list(*, instrument: Instrument, interval: str, limit: int = 100) -> list[Candle]:
    """The instrument's latest `limit` candles of `interval`, oldest first."""
    rows = Candle.objects.filter(instrument=instrument, interval=interval).order_by("-start")[:limit]
    return list(reversed(rows))


def candle_watermark(*, instrument: Instrument) -> int:
    """Engine seq of the last trade already in the instrument's candles (0 if none)."""
    return Candle.objects.filter(instrument=instrument).aggregate(m=Max("last_trade_seq"))["m"] or 0


def candle_range(*, instrument: Instrument, interval: str, start=None, end=None, limit: int = 1000,
                 ascending: bool = True) -> list[Candle]:
    """The instrument's candles of `interval` starting in [start, end], the first `limit` of them in
    time order (or the last `limit`, newest first, when not `ascending`)."""
    rows = Candle.objects.filter(instrument=instrument, interval=interval)
    if start is not None:
        rows = rows.filter(start__gte=start)
    if end is not None:
        rows = rows.filter(start__lte=end)
    return list(rows.order_by("start" if ascending else "-start")[:limit])
