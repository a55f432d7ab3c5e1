"""Market data sessions: MarketDataRequest (V) -> snapshot (W), then incremental refresh (X) of the
top N levels and the trades, from the per-symbol publication the WebSocket hubs read
(realtime.channels.symbol_channel, the Redis snapshot at book_key); MarketDataRequestReject (Y)."""

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal

from common.logging import get_logger
from gateways.fix.codec import Message
from marketdata.selectors import instruments_get_cached
from realtime.channels import book_key
from realtime.messages import BookSnapshot, MarketData

log = get_logger("gateways.fix")

MAX_DEPTH = 1000
ENTRY_TYPES = frozenset("012")  # bid, offer, trade


@dataclass(eq=False)
class Subscription:
    state: object
    req_id: str
    symbol: str
    depth: int
    types: frozenset
    bids: dict = field(default_factory=dict)  # what the counterparty holds: price -> qty
    asks: dict = field(default_factory=dict)


class Book:
    """One symbol's book as the publication left it (the Redis snapshot, then deltas by seq)."""

    def __init__(self, symbol: str):
        self.symbol = symbol
        self.seq: int | None = None  # None while loading
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}
        self.early: list[MarketData] = []
        self.subscriptions: list[Subscription] = []
        self.ready = asyncio.Event()

    def top(self, depth: int) -> tuple[dict, dict]:
        bids = sorted(self.bids.items(), key=lambda level: Decimal(level[0]), reverse=True)
        asks = sorted(self.asks.items(), key=lambda level: Decimal(level[0]))
        return dict(bids[:depth or None]), dict(asks[:depth or None])

    def apply(self, changes) -> None:
        for side, price, qty in changes:
            levels = self.bids if side == "buy" else self.asks
            if Decimal(qty):
                levels[price] = qty
            else:
                levels.pop(price, None)


def _reject(state, req_id, reason: str, text: str) -> None:
    state.send("Y", [(262, req_id), (281, reason), (58, text)])


class MarketDataFeed:
    """The handler of market data sessions (gateway.handlers["market_data"])."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.books: dict[str, Book] = {}

    async def handle(self, state, batch: list[Message]) -> None:
        for message in batch:
            await self._request(state, message)

    async def _request(self, state, message: Message) -> None:
        req_id, kind = message.get(262), message.get(263)
        if kind == "2":
            for book in self.books.values():
                book.subscriptions = [s for s in book.subscriptions if not (s.state is state and s.req_id == req_id)]
            return
        if kind == "1" and message.get(265) not in (None, "1"):
            return _reject(state, req_id, "5", "MDUpdateType(265) must be 1 (incremental refresh)")
        types = frozenset(message.all(269))
        if not types or not types <= ENTRY_TYPES:
            return _reject(state, req_id, "8", "MDEntryType(269): 0 bid, 1 offer, 2 trade")
        depth = int(message.get(264))
        if not 0 <= depth <= MAX_DEPTH:
            return _reject(state, req_id, "2", f"MarketDepth(264) must be 0 (full book) to {MAX_DEPTH}")
        symbols = message.all(55)
        if not symbols:
            return _reject(state, req_id, "0", "Symbol(55) missing")
        if any(s.state is state and s.req_id == req_id for book in self.books.values() for s in book.subscriptions):
            return _reject(state, req_id, "1", f"duplicate MDReqID {req_id}")
        known = await self.gateway.db(instruments_get_cached, symbols=symbols)
        unknown = [symbol for symbol in symbols if symbol not in known]
        if unknown:
            return _reject(state, req_id, "0", f"Unknown symbol {unknown[0]}")
        for symbol in symbols:
            book = await self._book(symbol)
            subscription = Subscription(state, req_id, symbol, depth or MAX_DEPTH, types)
            bids, asks = book.top(subscription.depth)
            entries = []
            if "0" in types:
                subscription.bids = bids
                entries += [item for price, qty in bids.items() for item in ((269, "0"), (270, price), (271, qty))]
            if "1" in types:
                subscription.asks = asks
                entries += [item for price, qty in asks.items() for item in ((269, "1"), (270, price), (271, qty))]
            state.send("W", [(262, req_id), (55, symbol), (268, len(entries) // 3), *entries])
            if kind == "1":
                book.subscriptions.append(subscription)

    def drop(self, state) -> None:
        """A session went away: its subscriptions end."""
        for book in self.books.values():
            book.subscriptions = [s for s in book.subscriptions if s.state is not state]

    async def _book(self, symbol: str) -> Book:
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = Book(symbol)
            await self.gateway.subscribe_symbol(symbol)
            await self._load(book)
        await book.ready.wait()
        return book

    async def _load(self, book: Book) -> None:
        """The Redis snapshot, then what arrived meanwhile with a later seq."""
        book.seq = None
        book.ready.clear()
        snapshot = BookSnapshot.decode(await self.gateway.redis.get(book_key(book.symbol)))
        book.bids = dict(snapshot.bids)
        book.asks = dict(snapshot.asks)
        book.seq = snapshot.seq
        early, book.early = book.early, []
        for message in early:
            self._apply(book, message)
        book.ready.set()

    def on_market_data(self, message: MarketData) -> None:
        book = self.books.get(message.symbol)
        if book is None:
            return
        if book.seq is None:
            book.early.append(message)
            return
        before_seq = book.seq
        changed = self._apply(book, message)
        if book.seq is None:  # a gap: reload, then tell the subscribers what changed
            asyncio.get_running_loop().create_task(self._reload(book))
            return
        if changed or message.trades:
            self._publish(book, message.trades if book.seq >= before_seq else [])

    def _apply(self, book: Book, message: MarketData) -> bool:
        if message.snapshot is not None:
            book.bids, book.asks = dict(message.snapshot.bids), dict(message.snapshot.asks)
            book.seq = message.snapshot.seq
            return True
        if message.book is None:
            return False
        if message.book.seq <= book.seq:
            return False
        if message.book.seq != book.seq + 1:
            book.seq = None
            return False
        book.apply(message.book.changes)
        book.seq = message.book.seq
        return True

    async def _reload(self, book: Book) -> None:
        try:
            await self._load(book)
        except Exception:
            log.warning("book reload failed", symbol=book.symbol, exc_info=True)
            return
        self._publish(book, [])

    def _publish(self, book: Book, trades) -> None:
        for sub in book.subscriptions:
            entries: list[tuple[int, object]] = []
            bids, asks = book.top(sub.depth)
            if "0" in sub.types:
                entries += _diff(sub.bids, bids, "0", book.symbol)
                sub.bids = bids
            if "1" in sub.types:
                entries += _diff(sub.asks, asks, "1", book.symbol)
                sub.asks = asks
            if "2" in sub.types:
                for trade in trades:
                    entries += [(279, "0"), (269, "2"), (55, book.symbol), (270, trade["price"]), (271, trade["qty"])]
            if entries:
                sub.state.send("X", [(262, sub.req_id), (268, len(entries) // 5), *entries])


def _diff(held: dict, now: dict, entry_type: str, symbol: str) -> list:
    """MDUpdateAction entries that take `held` to `now`: deletes first, then changes and new levels."""
    out = []
    for price in held:
        if price not in now:
            out += [(279, "2"), (269, entry_type), (55, symbol), (270, price), (271, held[price])]
    for price, qty in now.items():
        if price not in held:
            out += [(279, "0"), (269, entry_type), (55, symbol), (270, price), (271, qty)]
        elif held[price] != qty:
            out += [(279, "1"), (269, entry_type), (55, symbol), (270, price), (271, qty)]
    return out
