"""Reads of public market data."""

import json

from marketdata.groups import book_key, quote_key
from marketdata.models import Instrument
from orders.models import Trade
from tradeapp.redis import get_redis


def instrument_list():
    return Instrument.objects.all()


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
