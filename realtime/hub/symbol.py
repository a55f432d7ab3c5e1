"""One symbol in one web process: which of the process's sockets subscribed to what, and the
symbol's book as the engine's stream left it (kept so that a snapshot for a new subscriber or a
resync costs no Redis round trip and lines up exactly with the deltas that follow)."""

import asyncio
from decimal import Decimal

from common.jsontext import dumps
from realtime.protocol import PUBLIC_CHANNELS

SNAPSHOT_DEPTH = 1000  # levels per side in a book_snapshot (as REST and the Redis snapshot)


class SymbolStream:
    """One symbol in this process: who subscribed to what, and the book as the stream left it."""

    def __init__(self, symbol: str):
        self.symbol = symbol
        self.subs: dict[str, set] = {channel: set() for channel in PUBLIC_CHANNELS}
        self.seq: int | None = None  # None while (re)loading: the book is not usable
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}
        self.pending: list = []  # MarketData messages with a book that arrived while loading
        self.loader: asyncio.Task | None = None
        self.quote_text: str | None = None
        self.candle_texts: dict[str, str] = {}
        self.analytics_text: str | None = None  # the latest `analytics` message
        self._snapshot: tuple[int, str] | None = None

    def reset(self, seq: int, bids, asks) -> None:
        self.seq = seq
        self.bids = {p: q for p, q in bids}
        self.asks = {p: q for p, q in asks}

    def apply(self, changes) -> None:
        for side, price, qty in changes:
            levels = self.bids if side == "buy" else self.asks
            if Decimal(qty):
                levels[price] = qty
            else:
                levels.pop(price, None)

    def snapshot_text(self) -> str:
        """The book_snapshot message at the current seq (built once per seq)."""
        if self._snapshot is None or self._snapshot[0] != self.seq:
            bids = sorted(self.bids.items(), key=lambda level: Decimal(level[0]), reverse=True)[:SNAPSHOT_DEPTH]
            asks = sorted(self.asks.items(), key=lambda level: Decimal(level[0]))[:SNAPSHOT_DEPTH]
            text = dumps({"type": "book_snapshot", "symbol": self.symbol, "seq": self.seq,
                          "bids": [list(level) for level in bids], "asks": [list(level) for level in asks]})
            self._snapshot = (self.seq, text)
        return self._snapshot[1]
