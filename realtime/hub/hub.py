"""The hub of one web process: its sockets' subscriptions, its one Redis pub/sub connection and
the dispatch of what arrives on it (the rules are in realtime/hub/__init__.py)."""

import asyncio
import gc
from weakref import WeakKeyDictionary

from channels.db import database_sync_to_async
from django.conf import settings

from common import metrics
from common.jsontext import dumps
from common.logging import get_logger
from common.outages import outage_logged
from common.redis import new_async_redis
from common.times import utc_iso
from marketdata.models import Instrument
from realtime.channels import account_channel, hub_control_channel, symbol_channel
from realtime.hub.analytics import load_analytics, on_alert, on_analytics
from realtime.hub.books import Books
from realtime.hub.connection import Connection
from realtime.hub.listeners import Listeners
from realtime.hub.symbol import SymbolStream
from realtime.hub.private import private_deliver, private_start, private_stop
from realtime.messages import AlertTriggered, AnalyticsUpdate, MalformedMessage, MarketData, Message
from realtime.messages import OrderNotice, PrivateMessages, ReferenceQuote, decode
from realtime.protocol import MAX_SUBSCRIPTIONS, PUBLIC_CHANNELS, CloseCode, ProtocolError

log = get_logger("realtime.hub")

FLUSHED = {"sent": metrics.WS_MESSAGES_SENT, "conflated": metrics.WS_MESSAGES_CONFLATED,
           "dropped": metrics.WS_BOOK_DELTAS_DROPPED, "resyncs": metrics.WS_RESYNCS,
           "slow_closed": metrics.WS_SLOW_CLOSED}

_frozen = False  # gc.freeze() done in this process


class Hub(Books, Listeners):
    def __init__(self):
        self.symbols: dict[str, SymbolStream] = {}
        self.accounts: dict[int, set[Connection]] = {}
        # realtime/hub/listeners.py: symbol -> listeners, account id -> listeners.
        self.symbol_listeners: dict[str, set] = {}
        self.account_listeners: dict[int, set] = {}
        self.connections: set[Connection] = set()
        self.known_symbols: set[str] = set()
        self.groups: set[str] = set()  # pub/sub channels subscribed
        self._group_locks: dict[str, asyncio.Lock] = {}
        self._start_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        self._redis = None
        self._pubsub = None
        # What the connections did since the last flush into common.metrics (once a second).
        self.counts: dict[str, int] = dict.fromkeys(FLUSHED, 0)
        self.heartbeat_seconds = settings.WS_HEARTBEAT_SECONDS
        self.max_queue = settings.WS_MAX_QUEUE

    async def start(self) -> None:
        async with self._start_lock:
            if self._pubsub is not None:
                return
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
            self._tasks = [loop.create_task(self._read()), loop.create_task(self._heartbeat()),
                           loop.create_task(self._flush_metrics())]

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
    async def connect(self, send, *, heartbeats: bool = True) -> Connection:
        """A socket's outbound side. `heartbeats=False` for protocols that have none (the gateways')."""
        await self.start()
        connection = Connection(self, send, max_queue=self.max_queue)
        connection.heartbeats = heartbeats
        self.connections.add(connection)
        return connection

    async def disconnect(self, connection: Connection) -> None:
        self.connections.discard(connection)
        for channel, symbol in list(connection.subs):
            stream = self.symbols.get(symbol)
            if stream is not None:
                stream.subs[channel].discard(connection)
        connection.subs.clear()
        connection.book_seq.clear()
        if connection.writer is not None:
            connection.writer.cancel()
        connection.closed = True
        connection.close_code = connection.close_code or CloseCode.NORMAL
        await self._remove_account(connection)

    async def subscribe(self, connection: Connection, channels: list[str], symbols: list[str], *,
                        account_id: int | None = None, since: int | None = None) -> None:
        """`since`: the orders channel resumes after that private seq (realtime/hub/private.py)."""
        public = [c for c in channels if c in PUBLIC_CHANNELS]
        pairs = [(c, s) for s in symbols for c in public if (c, s) not in connection.subs]
        private = "orders" in channels and connection.account_id is None
        if since is not None and "orders" in channels and not private:
            raise ProtocolError("already_subscribed", "Already subscribed to orders: unsubscribe first to resume "
                                                      "from another seq.")
        orders = 1 if private or connection.account_id is not None else 0
        if len(connection.subs) + len(pairs) + orders > MAX_SUBSCRIPTIONS:
            raise ProtocolError("too_many_subscriptions", f"At most {MAX_SUBSCRIPTIONS} subscriptions per socket.")
        if public:
            await self._check_symbols(symbols)
            for symbol in symbols:
                await self._stream(symbol)
        reply = {"type": "subscribed", "channels": channels, "symbols": symbols}
        if private:
            await self._add_account(connection, account_id)
            try:
                reply["seq"] = await private_start(connection, account_id, since)
            except ProtocolError:
                await self._remove_account(connection)
                raise
        await load_analytics(self._redis, [self.symbols[s] for s in symbols] if "analytics" in public else [])
        # Before the replay's first message: nothing awaits between private_start and this push.
        connection.push(dumps(reply))
        for channel, symbol in pairs:
            stream = self.symbols[symbol]
            stream.subs[channel].add(connection)
            connection.subs.add((channel, symbol))
            if channel == "book":
                connection.book_seq[symbol] = None
                connection.request_resync(stream)
            elif channel == "quotes" and stream.quote_text is not None:
                connection.push_latest(("quote", symbol), stream.quote_text)
            elif channel == "candles":
                for interval, text in stream.candle_texts.items():
                    connection.push_latest(("candle", symbol, interval), text)
            elif channel == "analytics" and stream.analytics_text is not None:
                connection.push_latest(("analytics", symbol), stream.analytics_text)

    async def unsubscribe(self, connection: Connection, channels: list[str], symbols: list[str]) -> None:
        public = [c for c in channels if c in PUBLIC_CHANNELS]
        if public:
            await self._check_symbols(symbols)
        for symbol in symbols:
            stream = self.symbols.get(symbol)
            for channel in public:
                connection.subs.discard((channel, symbol))
                if stream is None:
                    continue
                stream.subs[channel].discard(connection)
                if channel == "book":
                    connection.book_seq.pop(symbol, None)
                    connection.resync.discard(stream)
                elif channel == "quotes":
                    connection.conflated.pop(("quote", symbol), None)
                elif channel == "candles":
                    for interval in list(stream.candle_texts):
                        connection.conflated.pop(("candle", symbol, interval), None)
                elif channel == "analytics":
                    connection.conflated.pop(("analytics", symbol), None)
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

    async def _stream(self, symbol: str) -> SymbolStream:
        stream = self.symbols.get(symbol)
        if stream is None:
            stream = self.symbols[symbol] = SymbolStream(symbol)
        await self._join(symbol_channel(symbol))
        if stream.seq is None and stream.loader is None:
            stream.loader = asyncio.get_running_loop().create_task(self._load(stream))
        return stream

    async def _add_account(self, connection: Connection, account_id: int) -> None:
        await self._join(account_channel(account_id))
        connection.account_id = account_id
        self.accounts.setdefault(account_id, set()).add(connection)

    async def _remove_account(self, connection: Connection) -> None:
        account_id = connection.account_id
        if account_id is None:
            return
        connection.account_id = None
        private_stop(connection)
        sockets = self.accounts.get(account_id)
        if sockets is not None:
            sockets.discard(connection)
            if not sockets:
                del self.accounts[account_id]
        try:
            await self._leave(account_channel(account_id), lambda: self._account_wanted(account_id))
        except Exception as error:
            if not outage_logged(log, error, what="unsubscribe failed"):
                log.warning("unsubscribe failed", exc_info=True)

    # --- the pub/sub reader ------------------------------------------------------------
    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if asyncio.current_task().cancelling():
                    raise asyncio.CancelledError() from None
                # The connection dropped: messages may be lost. redis-py reconnects and
                # resubscribes on the next read; every book is then reloaded from its snapshot.
                if not outage_logged(log, error, what="pub/sub read failed; reconnecting"):
                    log.warning("pub/sub read failed; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)
                self._reload_all()
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                self.dispatch(decode(message["data"]))
            except MalformedMessage as error:
                log.warning("malformed real-time message dropped", error=str(error)[:200])
            except Exception:
                log.exception("real-time message not dispatched")

    def _reload_all(self) -> None:
        for stream in self.symbols.values():
            if stream.seq is not None:
                stream.seq = None
                if stream.loader is None:
                    stream.loader = asyncio.get_running_loop().create_task(self._load(stream))

    def dispatch(self, message: Message) -> None:
        if isinstance(message, MarketData):
            self._on_market_data(message)
        elif isinstance(message, PrivateMessages):
            self._tell(self.account_listeners, message.account_id, message)
            for connection in self.accounts.get(message.account_id, ()):
                private_deliver(connection, message.account_id, message.messages)
        elif isinstance(message, OrderNotice):  # the gateways' listeners only (not the seq'd stream)
            self._tell(self.account_listeners, message.account_id, message)
        elif isinstance(message, AnalyticsUpdate):
            on_analytics(self.symbols.get(message.symbol), message)
        elif isinstance(message, AlertTriggered):
            on_alert(self.accounts.get(message.account_id), message)
        elif isinstance(message, ReferenceQuote):  # to `quotes` subscribers, conflated
            stream = self.symbols.get(message.symbol)
            if stream is not None and stream.subs["quotes"]:
                text = dumps({"type": "reference", "symbol": stream.symbol, "price": message.price,
                              "ts": message.ts, "source": message.source})
                for connection in stream.subs["quotes"]:
                    connection.push_latest(("reference", stream.symbol), text)

    def _on_market_data(self, message: MarketData) -> None:
        symbol = message.symbol
        self._tell(self.symbol_listeners, symbol, message)
        stream = self.symbols.get(symbol)
        if stream is None:
            return
        subscribers = stream.subs["trades"]
        if subscribers:
            for trade in message.trades:
                text = dumps({"type": "trade", "symbol": symbol, **trade})
                for connection in subscribers:
                    connection.push(text)
        if message.book is not None or message.snapshot is not None:
            self._on_book(stream, message)
        if message.quote is not None:
            text = stream.quote_text = dumps({"type": "quote", "symbol": symbol, **message.quote})
            key = ("quote", symbol)
            for connection in stream.subs["quotes"]:
                connection.push_latest(key, text)
        for candle in message.candles:
            text = stream.candle_texts[candle["interval"]] = dumps({"type": "candle", "symbol": symbol, **candle})
            key = ("candle", symbol, candle["interval"])
            for connection in stream.subs["candles"]:
                connection.push_latest(key, text)

    async def _flush_metrics(self) -> None:
        while True:
            await asyncio.sleep(1)
            self.flush_metrics()

    def flush_metrics(self) -> None:
        counts, self.counts = self.counts, dict.fromkeys(FLUSHED, 0)
        for name, counter in FLUSHED.items():
            if counts[name]:
                counter.inc(counts[name])
        metrics.WS_CONNECTIONS.set(len(self.connections))
        metrics.WS_SUBSCRIPTIONS.set(sum(len(c.subs) + (c.account_id is not None) for c in self.connections))

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            text = dumps({"type": "heartbeat", "ts": utc_iso()})
            for connection in self.connections:
                if connection.heartbeats:
                    connection.push_latest(("heartbeat",), text)


def _instruments_among(symbols: list[str]) -> list[str]:
    return list(Instrument.objects.filter(symbol__in=symbols).values_list("symbol", flat=True))


_hubs: "WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = WeakKeyDictionary()


def get_hub() -> Hub:
    """The hub of the running event loop (one per web process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
