"""The hub's books: each symbol's book loaded from its Redis snapshot, then kept by the deltas of
its channel in sequence; a gap reloads it (the rules are in realtime/hub/__init__.py)."""

import asyncio
import json

from common.jsontext import dumps
from common.logging import get_logger
from common.outages import outage_logged
from realtime.channels import book_key, quote_key
from realtime.hub.symbol import SymbolStream
from realtime.messages import BookSnapshot, MarketData

log = get_logger("realtime.hub")


class Books:
    """Mixed into Hub, whose `_redis` these read."""

    async def _load(self, stream: SymbolStream) -> None:
        """Book (and quote) from the Redis snapshot, then the deltas that arrived meanwhile."""
        delay = 0.05
        try:
            while True:
                try:
                    raw_book, raw_quote = await self._redis.mget([book_key(stream.symbol), quote_key(stream.symbol)])
                    snapshot = BookSnapshot.decode(raw_book)
                except Exception as error:
                    if not outage_logged(log, error, what="book snapshot unavailable"):
                        log.warning("book snapshot unavailable", symbol=stream.symbol, exc_info=True)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2)
                    continue
                if raw_quote and stream.quote_text is None:  # else a live quote came first
                    stream.quote_text = dumps({"type": "quote", "symbol": stream.symbol, **json.loads(raw_quote)})
                    for connection in stream.subs["quotes"]:
                        connection.push_latest(("quote", stream.symbol), stream.quote_text)
                stream.reset(snapshot.seq, snapshot.bids, snapshot.asks)
                pending, stream.pending = stream.pending, []
                if self._replay(stream, pending):
                    break
                # A delta is missing from the channel: a later snapshot will include it.
                stream.seq = None
                stream.pending = pending + stream.pending
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2)
        finally:
            stream.loader = None
        for connection in stream.subs["book"]:
            connection.request_resync(stream)

    @staticmethod
    def _replay(stream: SymbolStream, messages: list[MarketData]) -> bool:
        for message in sorted(messages, key=lambda m: (m.book or m.snapshot).seq):
            if message.snapshot is not None:
                if message.snapshot.seq > stream.seq:
                    book = message.snapshot
                    stream.reset(book.seq, book.bids, book.asks)
                continue
            seq = message.book.seq
            if seq <= stream.seq:
                continue
            if seq != stream.seq + 1:
                return False
            stream.apply(message.book.changes)
            stream.seq = seq
        return True

    def _on_book(self, stream: SymbolStream, message: MarketData) -> None:
        if stream.seq is None:
            stream.pending.append(message)
            return
        snapshot = message.snapshot
        if snapshot is not None:
            stream.reset(snapshot.seq, snapshot.bids, snapshot.asks)
            for connection in stream.subs["book"]:
                connection.request_resync(stream)
            return
        book = message.book
        seq = book.seq
        if seq <= stream.seq:
            return
        if seq != stream.seq + 1:
            log.info("book gap; reloading", symbol=stream.symbol, have=stream.seq, got=seq)
            stream.seq = None
            stream.pending.append(message)
            if stream.loader is None:
                stream.loader = asyncio.get_running_loop().create_task(self._load(stream))
            return
        stream.apply(book.changes)
        stream.seq = seq
        subscribers = stream.subs["book"]
        if subscribers:
            text = dumps({"type": "book_delta", "symbol": stream.symbol, "seq": seq, "changes": book.changes,
                          "ts": message.ts})
            for connection in subscribers:
                connection.push_book(stream, seq, text)
