"""A client for an Alpaca-style market data WebSocket (the v2 stocks stream).

The protocol: the server greets with `[{"T": "success", "msg": "connected"}]`; the client
sends `{"action": "auth", "key", "secret"}` and gets `[{"T": "success", "msg":
"authenticated"}]` (or `[{"T": "error", "code", "msg"}]`); then it sends `{"action":
"subscribe", "quotes": [...]}` and gets `[{"T": "subscription", ...}]`. Data arrives as JSON
arrays of messages: quotes `{"T": "q", "S", "bp", "bs", "ap", "as", "t"}` and trades
`{"T": "t", "S", "p", "s", "t"}`; prices are JSON numbers, parsed exactly as decimals.

Every frame that is not JSON, not an array of objects, or an unknown/invalid message is
counted as malformed and the connection carries on. An error message about the session
(authentication, connection limit) or a close from either side ends the session; the
supervisor reconnects with backoff. Keepalive pings detect a silently dead connection.
"""

import asyncio
import json
from decimal import Decimal

import websockets
from websockets.asyncio.client import connect

from marketdata.feeds.base import Feed, InstrumentSource, log
from marketdata.feeds.ticks import MalformedTick, decode_json, make_tick

# Error codes after which the session cannot go on (Alpaca: 401 not authenticated,
# 402 auth failed, 404 auth timeout, 406 connection limit exceeded).
FATAL_CODES = {401, 402, 404, 406}


class SessionError(Exception):
    """The server refused the session; reconnect later."""


class AlpacaQuotesFeed(Feed):
    kind = "alpaca"

    def __init__(self, *, url: str, key: str = "", secret: str = "", symbols: list[str] | None = None,
                 instruments: InstrumentSource | None = None, trades: bool = False, open_timeout: float = 10.0,
                 auth_timeout: float = 10.0, ping_interval: float | None = 20.0, **kwargs):
        super().__init__(**kwargs)
        if not symbols and instruments is None:
            raise ValueError("give symbols, or an instrument source to subscribe to every instrument")
        self.url, self.key, self.secret = url, key, secret
        self.symbols, self.instruments, self.trades = symbols, instruments, trades
        self.open_timeout, self.auth_timeout, self.ping_interval = open_timeout, auth_timeout, ping_interval
        self.authenticated = False
        self.subscribed: list[str] = []

    async def _symbols(self) -> list[str]:
        if self.symbols:
            return list(self.symbols)
        return [info.symbol for info in await self.instruments()]

    async def session(self) -> bool:
        symbols = await self._symbols()
        self.authenticated, self.subscribed = False, []
        async with connect(self.url, open_timeout=self.open_timeout, ping_interval=self.ping_interval,
                           ping_timeout=self.ping_interval, close_timeout=2, max_size=2**20,
                           compression=None, proxy=None) as ws:
            loop = asyncio.get_running_loop()
            auth_deadline = loop.time() + self.auth_timeout
            try:
                while True:
                    if not self.authenticated:
                        remaining = auth_deadline - loop.time()
                        if remaining <= 0:
                            raise SessionError("not authenticated in time")
                        try:
                            frame = await asyncio.wait_for(ws.recv(), remaining)
                        except TimeoutError:
                            raise SessionError("not authenticated in time") from None
                    else:
                        frame = await ws.recv()
                    for reply in self.handle_frame(frame, symbols):
                        await ws.send(json.dumps(reply))
            except websockets.ConnectionClosed as closed:
                raise SessionError(f"connection closed ({closed.rcvd.code if closed.rcvd else 'no close frame'})") from None

    def handle_frame(self, frame: str | bytes, symbols: list[str]) -> list[dict]:
        """Process one frame; return the messages to send back (auth, subscribe)."""
        self.stats.messages += 1
        if isinstance(frame, bytes):
            self.malformed(frame[:200], "binary frame (this client speaks JSON)")
            return []
        try:
            messages = decode_json(frame)
        except MalformedTick as error:
            self.malformed(frame[:200], error)
            return []
        if isinstance(messages, dict):
            messages = [messages]
        if not isinstance(messages, list):
            self.malformed(frame[:200], "expected an array of messages")
            return []
        replies = []
        for message in messages:
            reply = self.handle_message(message, symbols)
            if reply is not None:
                replies.append(reply)
        return replies

    def handle_message(self, message, symbols: list[str]) -> dict | None:
        kind = message.get("T") if isinstance(message, dict) else None
        if kind == "q":
            self.emit_or_count(lambda: make_tick(source=self.name, symbol=message.get("S"), bid=message.get("bp"),
                                                 ask=message.get("ap"), bid_size=message.get("bs"),
                                                 ask_size=message.get("as"), ts=_required_ts(message)), message)
        elif kind == "t":
            self.emit_or_count(lambda: make_tick(source=self.name, symbol=message.get("S"), price=message.get("p"),
                                                 ts=_required_ts(message)), message)
        elif kind == "success" and message.get("msg") == "connected":
            return {"action": "auth", "key": self.key, "secret": self.secret}
        elif kind == "success" and message.get("msg") == "authenticated":
            self.authenticated = True
            subscribe = {"action": "subscribe", "quotes": symbols}
            if self.trades:
                subscribe["trades"] = symbols
            return subscribe
        elif kind == "subscription":
            quotes = message.get("quotes")
            self.subscribed = [s for s in quotes if isinstance(s, str)] if isinstance(quotes, list) else []
        elif kind == "error":
            code, text = message.get("code"), str(message.get("msg", ""))[:200]
            if not self.authenticated or (isinstance(code, (int, Decimal)) and int(code) in FATAL_CODES):
                raise SessionError(f"server error {code}: {text}")
            # e.g. 405 symbol limit exceeded: the session goes on with what it has.
            log.warning("feed server error", feed=self.name, code=str(code), message=text)
        elif kind in ("b", "d", "u", "s", "c", "x", "l"):
            pass  # bars, statuses, corrections and the like: not used for reference prices
        else:
            self.malformed(message, f"unknown message type {str(kind)[:20]!r}")
        return None


def _required_ts(message: dict):
    ts = message.get("t")
    if ts is None:
        raise MalformedTick("missing t")
    return ts
