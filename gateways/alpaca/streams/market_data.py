"""The market-data stream at /v2/iex (and /v2/sip), msgpack, as alpaca-py's StockDataStream speaks
it. Every frame the server sends is a msgpack array of messages:

    <- [{"T": "success", "msg": "connected"}]
    -> {"action": "auth", "key", "secret"}              <- [{"T": "success", "msg": "authenticated"}]
    -> {"action": "subscribe", "trades": [..], "quotes": [..], "bars": [..]}   ("*": every symbol)
    <- [{"T": "subscription", "trades": [..], "quotes": [..], "bars": [..], ...}]
    <- [{"T": "q"|"t"|"b", "S": symbol, "t": <msgpack timestamp>, ...}]   (market_data.formats)

Errors are [{"T": "error", "code", "msg"}] with Alpaca's codes (400 invalid syntax, 401 not
authenticated, 402 auth failed, 403 already authenticated, 405 symbol limit exceeded, 410 invalid
subscribe action for this feed); nothing is changed by a refused message and the socket stays
open, except after a failed auth (closed, as Alpaca does). Messages come from the process's hub
(realtime/hub/, one pub/sub subscription per symbol): quotes conflate (latest wins) like /ws/v1/."""

import msgpack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from common.errors import ServiceError
from common.symbols import SYMBOL
from gateways.alpaca.market_data.formats import published_bar_json, quote_json, stream_stamp, trade_json
from marketdata.models import Candle
from marketdata.selectors import instrument_list
from realtime.auth import RAW_SEND, client_address, socket_credentials
from realtime.hub import get_hub
from realtime.messages import MarketData
from realtime.protocol import MAX_FRAME_BYTES, CloseCode, ProtocolError, RateLimiter

CHANNELS = ("trades", "quotes", "bars")
# Channels Alpaca has that the venue does not produce: subscribing to them is refused (410).
OTHER_CHANNELS = ("updatedBars", "dailyBars", "statuses", "lulds", "corrections", "cancelErrors", "orderbooks",
                  "news")
MAX_SYMBOLS = 200


def pack(*messages: dict) -> bytes:
    return msgpack.packb(list(messages), datetime=False)


def error(code: int, message: str) -> bytes:
    return pack({"T": "error", "code": code, "msg": message})


def _symbols() -> list[str]:
    return [i.symbol for i in instrument_list()]


class MarketDataConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = None

    async def connect(self):
        await self.accept()
        self.hub = get_hub()
        self.out = await self.hub.connect(self.scope.get(RAW_SEND, self.base_send), heartbeats=False)
        self.limiter = RateLimiter()
        self.user = None
        self.subs: dict[str, set[str]] = {channel: set() for channel in CHANNELS}
        self.wildcard: set[str] = set()  # channels subscribed with "*"
        self.listened: set[str] = set()  # symbols this socket's listener is on
        self.out.push(pack({"T": "success", "msg": "connected"}))

    async def disconnect(self, code):
        if getattr(self, "out", None) is None:
            return
        self.hub.unlisten_symbols(self.on_market_data, self.listened)
        await self.hub.disconnect(self.out)

    async def receive(self, text_data=None, bytes_data=None):
        if self.out.close_code is not None:
            return
        if not self.limiter.allow():
            if self.limiter.refused == 1:
                self.out.push(error(429, "rate limit exceeded"))
            return
        raw = bytes_data if bytes_data is not None else (text_data or "").encode("utf-8", "backslashreplace")
        try:
            if len(raw) > MAX_FRAME_BYTES:
                raise ValueError("frame too large")
            message = msgpack.unpackb(raw, raw=False, strict_map_key=True)
        except Exception:  # msgpack raises several kinds for garbage
            self.out.push(error(400, "invalid syntax"))
            return
        if not isinstance(message, dict) or not isinstance(message.get("action"), str):
            self.out.push(error(400, "invalid syntax"))
            return
        action = message["action"]
        if action == "auth":
            await self.authenticate(message)
        elif action in ("subscribe", "unsubscribe"):
            if self.user is None:
                self.out.push(error(401, "not authenticated"))
                return
            try:
                await self.subscribe(message, action == "subscribe")
            except ProtocolError as refused:
                self.out.push(error(400 if refused.code != "limit" else 405, refused.message))
        else:
            self.out.push(error(400, "invalid syntax"))

    async def authenticate(self, message: dict) -> None:
        if self.user is not None:
            self.out.push(error(403, "already authenticated"))
            return
        credentials = {"key_id": message.get("key"), "secret": message.get("secret")}
        try:
            found = await database_sync_to_async(socket_credentials)(credentials, address=client_address(self.scope))
        except ServiceError as refused:  # locked out
            self.out.push(error(429, refused.detail))
            found = None
        if found is None:
            self.out.push(error(402, "auth failed"))
            self.out.close(CloseCode.AUTH_FAILED)
            return
        self.user = found[0]
        self.out.push(pack({"T": "success", "msg": "authenticated"}))

    def _requested(self, message: dict) -> dict[str, list[str]]:
        if any(message.get(channel) for channel in OTHER_CHANNELS):
            raise ProtocolError("unsupported", "invalid subscribe action for this feed: "
                                "only trades, quotes and bars")
        requested = {}
        for channel in CHANNELS:
            value = message.get(channel, [])
            if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                raise ProtocolError("syntax", f"invalid syntax: {channel} must be a list of symbols")
            bad = [s for s in value if s != "*" and not SYMBOL.fullmatch(s)]
            if bad:
                raise ProtocolError("syntax", f"invalid symbol {bad[0][:40]!r}")
            requested[channel] = list(dict.fromkeys(value))
        return requested

    async def subscribe(self, message: dict, adding: bool) -> None:
        requested = self._requested(message)
        subs = {channel: set(symbols) for channel, symbols in self.subs.items()}
        wildcard = set(self.wildcard)
        for channel, symbols in requested.items():
            named = {s for s in symbols if s != "*"}
            if adding:
                subs[channel] |= named
                if "*" in symbols:
                    wildcard.add(channel)
            else:
                subs[channel] -= named
                if "*" in symbols:
                    wildcard.discard(channel)
        wanted = set().union(*subs.values())
        if wildcard:
            wanted |= set(await database_sync_to_async(_symbols)())
        if len(wanted) > MAX_SYMBOLS and len(wanted) > len(self.listened):
            raise ProtocolError("limit", f"symbol limit exceeded: at most {MAX_SYMBOLS} symbols")
        new = wanted - self.listened
        try:
            await self.hub.listen_symbols(self.on_market_data, sorted(new))  # refuses unknown symbols
        except ProtocolError as refused:
            self.hub.unlisten_symbols(self.on_market_data, new)
            raise ProtocolError("syntax", refused.message) from None
        self.hub.unlisten_symbols(self.on_market_data, self.listened - wanted)
        self.subs, self.wildcard, self.listened = subs, wildcard, wanted
        reply = {"T": "subscription"}
        for channel in CHANNELS:
            reply[channel] = (["*"] if channel in wildcard else []) + sorted(subs[channel])
        for channel in OTHER_CHANNELS[:6]:
            reply[channel] = []
        self.out.push(pack(reply))

    def _wants(self, channel: str, symbol: str) -> bool:
        return channel in self.wildcard or symbol in self.subs[channel]

    def on_market_data(self, message: MarketData) -> None:
        """Called by the hub for each market-data message of a symbol this socket listens to."""
        if self.user is None or self.out.close_code is not None:
            return
        symbol = message.symbol
        if message.trades and self._wants("trades", symbol):
            for trade in message.trades:
                self.out.push(pack({"T": "t", "S": symbol, **trade_json(
                    trade_id=trade["trade_id"], price=trade["price"], qty=trade["qty"], ts=trade["ts"],
                    stamp=stream_stamp)}))
        if message.quote is not None and message.quote.get("ts") and self._wants("quotes", symbol):
            self.out.push_latest(("q", symbol), pack({"T": "q", "S": symbol, **quote_json(message.quote, stream_stamp)}))
        if message.candles and self._wants("bars", symbol):
            for candle in message.candles:
                if candle["interval"] == Candle.Interval.ONE_MINUTE:
                    self.out.push(pack({"T": "b", "S": symbol, **published_bar_json(candle, stream_stamp)}))

