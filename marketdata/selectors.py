"""Reads of public market data."""

import json
import time

from django.conf import settings

from marketdata.groups import book_key, quote_key
from marketdata.models import Instrument
from orders.models import Trade
from tradeapp.redis import get_redis


def instrument_list():
    return Instrument.objects.all()


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


def book_snapshot(*, symbol: str, depth: int = 10) -> dict:
    """{symbol, seq, bids, asks} best first, as the engine last published it (empty if none yet)."""
    raw = get_redis().get(book_key(symbol))
    book = json.loads(raw) if raw else {"seq": 0, "bids": [], "asks": []}
    return {"symbol": symbol, "seq": book["seq"], "bids": book["bids"][:depth], "asks": book["asks"][:depth]}


def quote_list(*, symbols: list[str]) -> list[dict]:
    raws = get_redis().mget([quote_key(s) for s in symbols]) if symbols else []
    empty = {"bid": None, "bid_qty": None, "ask": None, "ask_qty": None, "last": None, "ts": None}
    return [{"symbol": s, **(json.loads(raw) if raw else empty)} for s, raw in zip(symbols, raws)]


def public_trade_list(*, symbol: str, limit: int = 50):
    return Trade.objects.filter(instrument__symbol=symbol).order_by("-id")[:limit]
