"""The per-process hub: market data reaches each web process once and is fanned out in memory.

One `Hub` per event loop (so one per web process) holds one Redis pub/sub connection. It
subscribes to a symbol's channel the first time one of its sockets subscribes to that symbol,
and to an account's channel while one of its sockets of that account is subscribed to
`orders`. Each message from the engine is decoded and serialized once, then handed to every
interested socket's `Connection`, which writes at once when the socket takes it and otherwise
buffers (boundedly); only that socket's own task ever waits on that socket.

Each `Connection` buffers at most `MAX_QUEUE` ordered messages. Quotes, candles and heartbeats
are conflated (one pending per key, latest wins). When the buffer is full, its book deltas are
dropped and each of those books is resent later as one fresh snapshot; if it is still full, the
socket is closed with 4008. The hub keeps each subscribed book (Redis snapshot + deltas, by the
book `seq`), so a snapshot for a new subscriber or a resync costs no Redis round trip and lines
up exactly with the deltas that follow. See docs/realtime.md.
"""

import asyncio
import gc
import json
import logging
from collections import deque
from decimal import Decimal
from weakref import WeakKeyDictionary

from channels.db import database_sync_to_async
from django.conf import settings

from marketdata.groups import (MD_REFERENCE, MD_UPDATE, ORDER_UPDATES, account_channel, book_key, hub_control_channel, quote_key,
                               symbol_channel)
from marketdata.protocol import MAX_SUBSCRIPTIONS, PUBLIC_CHANNELS, CloseCode, ProtocolError, dumps

log = logging.getLogger("marketdata.hub")

_frozen = False  # gc.freeze() done in this process
SNAPSHOT_DEPTH = 1000  # levels per side in a book_snapshot (as REST and the Redis snapshot)


def setting(name: str, default):
    return getattr(settings, name, default)


class Feed:
    """One symbol in this process: who subscribed to what, and the book as the stream left it."""

    def __init__(self, symbol: str):
        self.symbol = symbol
        self.subs: dict[str, set] = {channel: set() for channel in PUBLIC_CHANNELS}
        self.seq: int | None = None  # None while (re)loading: the book is not usable
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}
        self.pending: list[dict] = []  # book messages that arrived while loading
        self.loader: asyncio.Task | None = None
        self.quote_text: str | None = None
        self.candle_texts: dict[str, str] = {}
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


class Connection:
    """One socket's outbound side: a bounded buffer, written to the socket as soon as the socket
    takes it. Writes start synchronously (an ASGI send that does not have to wait completes
    without a task switch); the first write that must wait (the server's transport is paused:
    the client reads slowly) is finished by a task, and until it finishes everything else
    waits in the buffer, where quotes conflate and book deltas turn into a resync."""

    def __init__(self, hub: "Hub", send, *, max_queue: int):
        self.hub = hub
        self.send = send  # the ASGI send callable
        self.max_queue = max_queue
        self.queue: deque = deque()  # str, or (feed, seq, text) for a book delta
        self.conflated: dict[tuple, str] = {}
        self.resync: set[Feed] = set()
        self.book_seq: dict[str, int | None] = {}  # symbol -> seq last written; present while subscribed
        self.subs: set[tuple[str, str]] = set()
        self.account_id: int | None = None  # set while subscribed to `orders`
        self.close_code: int | None = None
        self.closed = False
        self.dropped = 0  # book deltas dropped for resync (for tests and stats)
        self.writer: asyncio.Task | None = None  # the task finishing a write that had to wait

    # --- producers (the hub, the consumer); never wait -------------------------
    def push(self, text: str) -> None:
        if self.close_code is not None:
            return
        if len(self.queue) >= self.max_queue:
            self._overflow()
            if self.close_code is not None:
                return
        self.queue.append(text)
        if self.writer is None:
            self._drain()

    def push_book(self, feed: Feed, seq: int, text: str) -> None:
        if self.close_code is not None or feed in self.resync:
            return  # closing, or a fresh snapshot is owed anyway
        if len(self.queue) >= self.max_queue:
            self._overflow()
            if self.close_code is not None:
                return
        self.queue.append((feed, seq, text))
        if self.writer is None:
            self._drain()

    def push_latest(self, key: tuple, text: str) -> None:
        if self.close_code is None:
            self.conflated[key] = text
            if self.writer is None:
                self._drain()

    def request_resync(self, feed: Feed) -> None:
        if self.close_code is None and feed.symbol in self.book_seq:
            self.resync.add(feed)
            if self.writer is None:
                self._drain()

    def close(self, code: int) -> None:
        """Close after what is already buffered."""
        if self.close_code is None:
            self.close_code = code
            if self.writer is None:
                self._drain()

    def abort(self, code: int) -> None:
        """Close now, dropping what is buffered (the client is too slow to be told more)."""
        if self.closed:
            return
        self.close_code = code
        self.queue.clear()
        self.conflated.clear()
        self.resync.clear()
        if self.writer is not None:
            self.writer.cancel()
        self.closed = True
        self.writer = asyncio.get_running_loop().create_task(self._send_close(code))

    def _overflow(self) -> None:
        kept: deque = deque()
        for item in self.queue:
            if item.__class__ is tuple:
                self.resync.add(item[0])
                self.dropped += 1
            else:
                kept.append(item)
        self.queue = kept
        if len(kept) >= self.max_queue * 3 // 4:
            log.info("slow consumer closed", extra={"buffered": len(kept)})
            self.abort(CloseCode.SLOW_CONSUMER)

    # --- writing ---------------------------------------------------------------------
    def _next(self) -> str | None:
        while self.queue:
            item = self.queue.popleft()
            if item.__class__ is str:
                return item
            item = self._book_text(*item)
            if item is not None:
                return item
        if self.conflated:
            key = next(iter(self.conflated))
            return self.conflated.pop(key)
        return self._next_snapshot()

    def _drain(self) -> None:
        """Write what is buffered until it is all written or a write has to wait."""
        if self.closed:
            return
        while True:
            text = self._next()
            if text is None:
                if self.close_code is not None:
                    self.closed = True
                    self.writer = asyncio.get_running_loop().create_task(self._send_close(self.close_code))
                return
            write = self.send({"type": "websocket.send", "text": text})
            try:
                waiting = write.send(None)
            except StopIteration:
                continue
            except Exception:
                self._gone()
                return
            self.writer = asyncio.get_running_loop().create_task(self._finish(write, waiting))
            return

    async def _finish(self, write, waiting) -> None:
        """Drive a write that had to wait to its end (as a task would), then drain the rest."""
        try:
            while True:
                try:
                    if waiting is None:  # a bare yield: let the loop run once
                        await asyncio.sleep(0)
                    else:  # the future the write waits on (it may not be awaited twice)
                        resumed = asyncio.get_running_loop().create_future()
                        waiting.add_done_callback(lambda _, r=resumed: r.done() or r.set_result(None))
                        await resumed
                except asyncio.CancelledError:
                    write.close()
                    raise
                try:
                    waiting = write.send(None)
                except StopIteration:
                    break
        except asyncio.CancelledError:
            raise
        except Exception:
            self._gone()
            return
        self.writer = None
        self._drain()

    def _gone(self) -> None:
        # The server refuses sends once the client is gone; the consumer's disconnect cleans up.
        self.closed = True
        self.queue.clear()
        self.conflated.clear()

    def _book_text(self, feed: Feed, seq: int, text: str) -> str | None:
        last = self.book_seq.get(feed.symbol, False)
        if last is False or feed in self.resync:
            return None  # unsubscribed, or a snapshot is owed and will be sent instead
        if last is None or seq > last + 1:
            self.resync.add(feed)
            return None
        if seq <= last:
            return None
        self.book_seq[feed.symbol] = seq
        return text

    def _next_snapshot(self) -> str | None:
        for feed in self.resync:
            if feed.seq is not None:
                self.resync.discard(feed)
                if feed.symbol not in self.book_seq:
                    return self._next_snapshot()
                self.book_seq[feed.symbol] = feed.seq
                return feed.snapshot_text()
        return None

    async def _send_close(self, code: int) -> None:
        self.closed = True
        try:
            await asyncio.wait_for(self.send({"type": "websocket.close", "code": code}), 5)
        except Exception:
            pass


class Hub:
    def __init__(self):
        self.feeds: dict[str, Feed] = {}
        self.accounts: dict[int, set[Connection]] = {}
        self.connections: set[Connection] = set()
        self.known_symbols: set[str] = set()
        self.groups: set[str] = set()  # pub/sub channels subscribed
        self._group_locks: dict[str, asyncio.Lock] = {}
        self._start_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        self._redis = None
        self._pubsub = None
        self.heartbeat_seconds = float(setting("WS_HEARTBEAT_SECONDS", 15))
        self.max_queue = int(setting("WS_MAX_QUEUE", 500))

    async def start(self) -> None:
        async with self._start_lock:
            if self._pubsub is not None:
                return
            from tradeapp.redis import new_async_redis

            # Move everything alive now (Django, the app, the server) out of the collector's
            # reach: a full collection then scans only what sockets and messages allocate,
            # instead of pausing every socket of the process for tens of milliseconds.
            global _frozen
            if not _frozen:
                gc.freeze()
                _frozen = True
            self._redis = new_async_redis()
            pubsub = self._redis.pubsub()
            await pubsub.subscribe(hub_control_channel())
            self._pubsub = pubsub
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._read()), loop.create_task(self._heartbeat())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for connection in list(self.connections):
            if connection.writer is not None:
                connection.writer.cancel()
        if self._pubsub is not None:
            await self._pubsub.aclose()
            await self._redis.aclose()
            self._pubsub = None

    # --- sockets -----------------------------------------------------------------
    async def connect(self, send) -> Connection:
        await self.start()
        connection = Connection(self, send, max_queue=self.max_queue)
        self.connections.add(connection)
        return connection

    async def disconnect(self, connection: Connection) -> None:
        self.connections.discard(connection)
        for channel, symbol in list(connection.subs):
            feed = self.feeds.get(symbol)
            if feed is not None:
                feed.subs[channel].discard(connection)
        connection.subs.clear()
        connection.book_seq.clear()
        if connection.writer is not None:
            connection.writer.cancel()
        connection.closed = True
        connection.close_code = connection.close_code or CloseCode.NORMAL
        await self._remove_account(connection)

    async def subscribe(self, connection: Connection, channels: list[str], symbols: list[str], *,
                        account_id: int | None = None) -> None:
        public = [c for c in channels if c in PUBLIC_CHANNELS]
        pairs = [(c, s) for s in symbols for c in public if (c, s) not in connection.subs]
        private = "orders" in channels and connection.account_id is None
        orders = 1 if private or connection.account_id is not None else 0
        if len(connection.subs) + len(pairs) + orders > MAX_SUBSCRIPTIONS:
            raise ProtocolError("too_many_subscriptions", f"At most {MAX_SUBSCRIPTIONS} subscriptions per socket.")
        if public:
            await self._check_symbols(symbols)
            for symbol in symbols:
                await self._feed(symbol)
        if private:
            await self._add_account(connection, account_id)
        connection.push(dumps({"type": "subscribed", "channels": channels, "symbols": symbols}))
        for channel, symbol in pairs:
            feed = self.feeds[symbol]
            feed.subs[channel].add(connection)
            connection.subs.add((channel, symbol))
            if channel == "book":
                connection.book_seq[symbol] = None
                connection.request_resync(feed)
            elif channel == "quotes" and feed.quote_text is not None:
                connection.push_latest(("quote", symbol), feed.quote_text)
            elif channel == "candles":
                for interval, text in feed.candle_texts.items():
                    connection.push_latest(("candle", symbol, interval), text)

    async def unsubscribe(self, connection: Connection, channels: list[str], symbols: list[str]) -> None:
        public = [c for c in channels if c in PUBLIC_CHANNELS]
        if public:
            await self._check_symbols(symbols)
        for symbol in symbols:
            feed = self.feeds.get(symbol)
            for channel in public:
                connection.subs.discard((channel, symbol))
                if feed is None:
                    continue
                feed.subs[channel].discard(connection)
                if channel == "book":
                    connection.book_seq.pop(symbol, None)
                    connection.resync.discard(feed)
                elif channel == "quotes":
                    connection.conflated.pop(("quote", symbol), None)
                elif channel == "candles":
                    for interval in list(feed.candle_texts):
                        connection.conflated.pop(("candle", symbol, interval), None)
        if "orders" in channels:
            await self._remove_account(connection)
        connection.push(dumps({"type": "unsubscribed", "channels": channels, "symbols": symbols}))

    async def _check_symbols(self, symbols: list[str]) -> None:
        missing = [s for s in symbols if s not in self.known_symbols]
        if missing:
            self.known_symbols.update(await database_sync_to_async(_instruments_among)(missing))
            unknown = [s for s in symbols if s not in self.known_symbols]
            if unknown:
                raise ProtocolError("unknown_symbol", f"Unknown symbol {unknown[0][:40]!r}.")

    # --- pub/sub channels ----------------------------------------------------------------
    async def _join(self, channel: str) -> None:
        async with self._group_locks.setdefault(channel, asyncio.Lock()):
            if channel not in self.groups:
                await self._pubsub.subscribe(channel)
                self.groups.add(channel)

    async def _leave(self, channel: str, still_wanted) -> None:
        async with self._group_locks.setdefault(channel, asyncio.Lock()):
            if channel in self.groups and not still_wanted():
                self.groups.discard(channel)
                await self._pubsub.unsubscribe(channel)

    async def _feed(self, symbol: str) -> Feed:
        feed = self.feeds.get(symbol)
        if feed is None:
            feed = self.feeds[symbol] = Feed(symbol)
        await self._join(symbol_channel(symbol))
        if feed.seq is None and feed.loader is None:
            feed.loader = asyncio.get_running_loop().create_task(self._load(feed))
        return feed

    async def _add_account(self, connection: Connection, account_id: int) -> None:
        await self._join(account_channel(account_id))
        connection.account_id = account_id
        self.accounts.setdefault(account_id, set()).add(connection)

    async def _remove_account(self, connection: Connection) -> None:
        account_id = connection.account_id
        if account_id is None:
            return
        connection.account_id = None
        sockets = self.accounts.get(account_id)
        if sockets is not None:
            sockets.discard(connection)
            if not sockets:
                del self.accounts[account_id]
        try:
            await self._leave(account_channel(account_id), lambda: account_id in self.accounts)
        except Exception:
            log.warning("unsubscribe failed", exc_info=True)

    # --- books -------------------------------------------------------------------------
    async def _load(self, feed: Feed) -> None:
        """Book (and quote) from the Redis snapshot, then the deltas that arrived meanwhile."""
        delay = 0.05
        try:
            while True:
                try:
                    raw_book, raw_quote = await self._redis.mget([book_key(feed.symbol), quote_key(feed.symbol)])
                except Exception:
                    log.warning("book snapshot unavailable", extra={"symbol": feed.symbol}, exc_info=True)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2)
                    continue
                snapshot = json.loads(raw_book) if raw_book else {"seq": 0, "bids": [], "asks": []}
                if raw_quote and feed.quote_text is None:  # else a live quote came first
                    feed.quote_text = dumps({"type": "quote", "symbol": feed.symbol, **json.loads(raw_quote)})
                    for connection in feed.subs["quotes"]:
                        connection.push_latest(("quote", feed.symbol), feed.quote_text)
                feed.reset(snapshot["seq"], snapshot["bids"], snapshot["asks"])
                pending, feed.pending = feed.pending, []
                if self._replay(feed, pending):
                    break
                # A delta is missing from the channel: a later snapshot will include it.
                feed.seq = None
                feed.pending = pending + feed.pending
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2)
        finally:
            feed.loader = None
        for connection in feed.subs["book"]:
            connection.request_resync(feed)

    def _replay(self, feed: Feed, messages: list[dict]) -> bool:
        for message in sorted(messages, key=lambda m: (m.get("book") or m["snapshot"])["seq"]):
            if "snapshot" in message:
                if message["snapshot"]["seq"] > feed.seq:
                    book = message["snapshot"]
                    feed.reset(book["seq"], book["bids"], book["asks"])
                continue
            seq = message["book"]["seq"]
            if seq <= feed.seq:
                continue
            if seq != feed.seq + 1:
                return False
            feed.apply(message["book"]["changes"])
            feed.seq = seq
        return True

    def _on_book(self, feed: Feed, message: dict) -> None:
        if feed.seq is None:
            feed.pending.append(message)
            return
        snapshot = message.get("snapshot")
        if snapshot is not None:
            feed.reset(snapshot["seq"], snapshot["bids"], snapshot["asks"])
            for connection in feed.subs["book"]:
                connection.request_resync(feed)
            return
        book = message["book"]
        seq = book["seq"]
        if seq <= feed.seq:
            return
        if seq != feed.seq + 1:
            log.info("book gap; reloading", extra={"symbol": feed.symbol, "have": feed.seq, "got": seq})
            feed.seq = None
            feed.pending.append(message)
            if feed.loader is None:
                feed.loader = asyncio.get_running_loop().create_task(self._load(feed))
            return
        feed.apply(book["changes"])
        feed.seq = seq
        subscribers = feed.subs["book"]
        if subscribers:
            text = dumps({"type": "book_delta", "symbol": feed.symbol, "seq": seq, "changes": book["changes"],
                          "ts": message.get("ts")})
            for connection in subscribers:
                connection.push_book(feed, seq, text)

    # --- the pub/sub reader ------------------------------------------------------------
    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception:
                if asyncio.current_task().cancelling():
                    raise asyncio.CancelledError() from None
                # The connection dropped: messages may be lost. redis-py reconnects and
                # resubscribes on the next read; every book is then reloaded from its snapshot.
                log.warning("pub/sub read failed; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)
                self._reload_all()
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                self.dispatch(json.loads(message["data"]))
            except Exception:
                log.exception("bad real-time message dropped")

    def _reload_all(self) -> None:
        for feed in self.feeds.values():
            if feed.seq is not None:
                feed.seq = None
                if feed.loader is None:
                    feed.loader = asyncio.get_running_loop().create_task(self._load(feed))

    def dispatch(self, message: dict) -> None:
        kind = message.get("type")
        if kind == MD_UPDATE:
            self._on_market_data(message)
        elif kind == MD_REFERENCE:  # the feeds' reference price: to `quotes` subscribers, conflated
            feed = self.feeds.get(message.get("symbol"))
            if feed is not None and feed.subs["quotes"]:
                text = dumps({"type": "reference", "symbol": feed.symbol, "price": message.get("price"),
                              "ts": message.get("ts"), "source": message.get("source")})
                for connection in feed.subs["quotes"]:
                    connection.push_latest(("reference", feed.symbol), text)
        elif kind == ORDER_UPDATES:
            sockets = self.accounts.get(message["account_id"])
            if sockets:
                for update in message["updates"]:
                    text = dumps({"type": "order_update", **update})
                    for connection in sockets:
                        connection.push(text)

    def _on_market_data(self, message: dict) -> None:
        symbol = message["symbol"]
        feed = self.feeds.get(symbol)
        if feed is None:
            return
        subscribers = feed.subs["trades"]
        if subscribers:
            for trade in message.get("trades") or ():
                text = dumps({"type": "trade", "symbol": symbol, **trade})
                for connection in subscribers:
                    connection.push(text)
        if "book" in message or "snapshot" in message:
            self._on_book(feed, message)
        quote = message.get("quote")
        if quote is not None:
            text = feed.quote_text = dumps({"type": "quote", "symbol": symbol, **quote})
            key = ("quote", symbol)
            for connection in feed.subs["quotes"]:
                connection.push_latest(key, text)
        for candle in message.get("candles") or ():
            text = feed.candle_texts[candle["interval"]] = dumps({"type": "candle", "symbol": symbol, **candle})
            key = ("candle", symbol, candle["interval"])
            for connection in feed.subs["candles"]:
                connection.push_latest(key, text)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            text = dumps({"type": "heartbeat", "ts": _utc_now()})
            for connection in self.connections:
                connection.push_latest(("heartbeat",), text)


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _instruments_among(symbols: list[str]) -> list[str]:
    from marketdata.models import Instrument

    return list(Instrument.objects.filter(symbol__in=symbols).values_list("symbol", flat=True))


_hubs: "WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = WeakKeyDictionary()


def get_hub() -> Hub:
    """The hub of the running event loop (one per web process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
