"""Reads of the engine's market-data publication in Redis (realtime.publish.engine writes it)."""

import json

from common.redis import get_redis
from realtime.channels import book_key, quote_key
from realtime.messages import BookSnapshot


def book_snapshot(*, symbol: str, depth: int = 10) -> dict:
    """{symbol, seq, bids, asks} best first, as the engine last published it (empty if none yet)."""
    book = BookSnapshot.decode(get_redis().get(book_key(symbol)))
    return {"symbol": symbol, "seq": book.seq, "bids": book.bids[:depth], "asks": book.asks[:depth]}


def quote_list(*, symbols: list[str]) -> list[dict]:
    raws = get_redis().mget([quote_key(s) for s in symbols]) if symbols else []
    empty = {"bid": None, "bid_qty": None, "ask": None, "ask_qty": None, "last": None, "ts": None}
    return [{"symbol": s, **(json.loads(raw) if raw else empty)} for s, raw in zip(symbols, raws)]
