"""The messages that cross processes on the real-time channels (realtime.channels): the engine's
and the feeds' publications, read by every web process's hub. Each is a dataclass with one
`encode` and one decoding (`decode` below), so producers and readers cannot drift apart.

The pieces clients receive as they are (quotes, trades, candles) are typed dicts already in the public
wire format (API.md), and private messages are their final JSON text: the hub forwards them without
reshaping.
"""

from dataclasses import dataclass, field
from typing import Any, TypedDict

import orjson

from common.jsontext import dumps, loads


class MalformedMessage(ValueError):
    """Not a message of the real-time channels."""


class Quote(TypedDict):
    bid: str | None
    bid_qty: str | None
    ask: str | None
    ask_qty: str | None
    last: str | None
    ts: str | None


class TradePrint(TypedDict):
    trade_id: int
    price: str
    qty: str
    aggressor_side: str
    ts: str
    dark: bool


class CandleBar(TypedDict):
    interval: str
    t: str
    o: str
    h: str
    l: str  # noqa: E741 - the field name of the contract
    c: str
    v: str


Level = list[str]  # [price, qty]


@dataclass(slots=True)
class BookSnapshot:
    """A symbol's book as the engine last published it; stored in Redis (realtime.channels.book_key)
    and carried whole in a MarketData message when a reader must start over."""

    seq: int
    bids: list[Level]
    asks: list[Level]
    ts: str | None = None

    def encode_after_seq(self) -> str:
        """The stored JSON after its leading `{"seq":N`: the engine's Lua script writes the seq."""
        return "," + dumps({"bids": self.bids, "asks": self.asks, "ts": self.ts})[1:]

    def encode(self) -> str:
        return dumps({"seq": self.seq, "bids": self.bids, "asks": self.asks, "ts": self.ts})

    @classmethod
    def decode(cls, raw: bytes | str | None) -> "BookSnapshot":
        """The stored snapshot; an empty book at seq 0 when none was stored yet."""
        if not raw:
            return cls(seq=0, bids=[], asks=[])
        return cls.from_json(_loads(raw))

    @classmethod
    def from_json(cls, body: dict) -> "BookSnapshot":
        try:
            return cls(seq=int(body["seq"]), bids=list(body["bids"]), asks=list(body["asks"]), ts=body.get("ts"))
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedMessage(f"book snapshot: {error}") from None


@dataclass(slots=True)
class BookDelta:
    """The level changes of one batch: [side, price, qty], qty "0" removing the level."""

    seq: int
    changes: list[list[str]]


@dataclass(slots=True)
class MarketData:
    """One symbol's market data from one engine batch (or the worker's candle timer)."""

    TYPE = "md.update"

    symbol: str
    ts: str
    trades: list[TradePrint] = field(default_factory=list)
    quote: Quote | None = None
    book: BookDelta | None = None
    snapshot: BookSnapshot | None = None  # instead of `book`, when readers must start over
    candles: list[CandleBar] = field(default_factory=list)

    def _body(self) -> dict:
        body: dict[str, Any] = {"type": self.TYPE, "symbol": self.symbol, "ts": self.ts}
        if self.trades:
            body["trades"] = self.trades
        if self.quote is not None:
            body["quote"] = self.quote
        if self.candles:
            body["candles"] = self.candles
        return body

    def encode(self) -> str:
        body = self._body()
        if self.book is not None:
            body["book"] = {"seq": self.book.seq, "changes": self.book.changes}
        if self.snapshot is not None:
            body["snapshot"] = {"seq": self.snapshot.seq, "bids": self.snapshot.bids, "asks": self.snapshot.asks}
        return dumps(body)

    def encode_around_book_seq(self) -> tuple[str, str]:
        """(head, tail): the encoded message is head + str(seq) + tail, for a book (delta or
        snapshot) whose seq Redis assigns as it publishes (realtime.publish.engine)."""
        if self.book is not None:
            name, rest = "book", {"changes": self.book.changes}
        elif self.snapshot is not None:
            name, rest = "snapshot", {"bids": self.snapshot.bids, "asks": self.snapshot.asks}
        else:
            raise ValueError("no book in this message")
        return dumps(self._body())[:-1] + f',"{name}":{{"seq":', "," + dumps(rest)[1:] + "}"

    @classmethod
    def from_json(cls, body: dict) -> "MarketData":
        try:
            book, snapshot = body.get("book"), body.get("snapshot")
            return cls(symbol=str(body["symbol"]), ts=body.get("ts"), trades=list(body.get("trades") or ()),
                       quote=body.get("quote"), candles=list(body.get("candles") or ()),
                       book=BookDelta(seq=int(book["seq"]), changes=list(book["changes"])) if book else None,
                       snapshot=BookSnapshot.from_json(snapshot) if snapshot else None)
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedMessage(f"market data: {error}") from None


@dataclass(slots=True)
class PrivateMessages:
    """One account's private stream messages from one engine batch, in seq order: `messages` are
    (seq, text) pairs, each text the message as clients get it (orders.private.PrivateMessage, stored
    as is), consecutive seqs."""

    TYPE = "orders.private"

    account_id: int
    messages: list[tuple[int, str]]

    def encode(self) -> str:
        return dumps({"type": self.TYPE, "account_id": self.account_id, "messages": self.messages})

    @classmethod
    def from_json(cls, body: dict) -> "PrivateMessages":
        try:
            messages = [(int(seq), text) for seq, text in body["messages"]]
            if not all(isinstance(text, str) for _, text in messages):
                raise TypeError("a message is not text")
            return cls(account_id=int(body["account_id"]), messages=messages)
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedMessage(f"private messages: {error}") from None


@dataclass(slots=True)
class ReferenceQuote:
    """A feed's reference price for a symbol (forwarded to `quotes` subscribers as `reference`)."""

    TYPE = "md.reference"

    symbol: str
    price: str
    ts: str
    source: str

    def encode(self) -> str:
        return dumps({"type": self.TYPE, "symbol": self.symbol, "price": self.price, "ts": self.ts,
                      "source": self.source})

    @classmethod
    def from_json(cls, body: dict) -> "ReferenceQuote":
        try:
            return cls(symbol=str(body["symbol"]), price=str(body["price"]), ts=str(body["ts"]),
                       source=str(body["source"]))
        except (KeyError, TypeError) as error:
            raise MalformedMessage(f"reference: {error}") from None


class Fill(TypedDict):
    """One account's fill as the engine stream carries it (realtime.channels.engine_stream_key)."""

    account_id: int
    order_id: int
    symbol: str
    side: str
    trade_id: int
    price: str
    qty: str
    liquidity: str
    fee: str


class SymbolBatch(TypedDict):
    """One symbol's part of an EngineBatch: its trades and its top of book after the batch."""

    trades: list[TradePrint]
    quote: Quote


@dataclass(slots=True)
class EngineBatch:
    """Everything one committed engine batch changed, as one entry of the engine's Redis Stream
    (the input of `run_analytics`, docs/analytics.md). `lag_ms` is the batch's largest engine lag
    (order accepted -> taken into the batch), None when it took no new order."""

    TYPE = "engine.batch"

    ts: str
    symbols: dict[str, SymbolBatch]
    fills: list[Fill] = field(default_factory=list)
    lag_ms: float | None = None

    def encode(self) -> bytes:
        return orjson.dumps({"type": self.TYPE, "ts": self.ts, "symbols": self.symbols, "fills": self.fills,
                             "lag_ms": self.lag_ms})

    @classmethod
    def from_json(cls, body: dict) -> "EngineBatch":
        try:
            symbols = body["symbols"]
            if not isinstance(symbols, dict) or not all(isinstance(v, dict) for v in symbols.values()):
                raise TypeError("symbols must map to objects")
            lag = body.get("lag_ms")
            return cls(ts=str(body["ts"]), symbols=symbols, fills=list(body.get("fills") or ()),
                       lag_ms=None if lag is None else float(lag))
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedMessage(f"engine batch: {error}") from None

    @classmethod
    def decode(cls, raw: bytes | str) -> "EngineBatch":
        body = _loads(raw)
        if body.get("type") != cls.TYPE:
            raise MalformedMessage(f"not an engine batch: {str(body.get('type'))[:40]!r}")
        return cls.from_json(body)


@dataclass(slots=True)
class AnalyticsUpdate:
    """A symbol's latest analytics (analytics.figures), published by `run_analytics` on the symbol's
    channel for the hubs' `analytics` subscribers (conflated there)."""

    TYPE = "md.analytics"

    symbol: str
    values: dict[str, Any]

    def encode(self) -> str:
        return dumps({"type": self.TYPE, "symbol": self.symbol, "values": self.values})

    @classmethod
    def from_json(cls, body: dict) -> "AnalyticsUpdate":
        try:
            values = body["values"]
            if not isinstance(values, dict):
                raise TypeError("values must be an object")
            return cls(symbol=str(body["symbol"]), values=values)
        except (KeyError, TypeError) as error:
            raise MalformedMessage(f"analytics: {error}") from None


@dataclass(slots=True)
class OrderNotice:
    """A request on an order that the engine has yet to confirm (today: a cancel, `pending_cancel`),
    published by the web process that took it, to the account's channel. Not part of the seq'd private
    stream (nothing is stored): only the hub's listeners (the Alpaca `trade_updates` stream) take it."""

    TYPE = "orders.notice"

    account_id: int
    event: str
    order: dict[str, Any]

    def encode(self) -> str:
        return dumps({"type": self.TYPE, "account_id": self.account_id, "event": self.event, "order": self.order})

    @classmethod
    def from_json(cls, body: dict) -> "OrderNotice":
        try:
            return cls(account_id=int(body["account_id"]), event=str(body["event"]), order=dict(body["order"]))
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedMessage(f"order notice: {error}") from None


@dataclass(slots=True)
class AlertTriggered:
    """A user's alert that fired (analytics.alerts), published on its owner's account channel: the
    hub pushes it as an `alert` message to that account's private subscribers only."""

    TYPE = "alerts.triggered"

    account_id: int
    alert: dict[str, Any]

    def encode(self) -> str:
        return dumps({"type": self.TYPE, "account_id": self.account_id, "alert": self.alert})

    @classmethod
    def from_json(cls, body: dict) -> "AlertTriggered":
        try:
            alert = body["alert"]
            if not isinstance(alert, dict):
                raise TypeError("alert must be an object")
            return cls(account_id=int(body["account_id"]), alert=alert)
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedMessage(f"alert: {error}") from None


Message = MarketData | PrivateMessages | ReferenceQuote | AnalyticsUpdate | AlertTriggered | OrderNotice
_TYPES = {cls.TYPE: cls for cls in (MarketData, PrivateMessages, ReferenceQuote, AnalyticsUpdate, AlertTriggered,
                                    OrderNotice)}


def _loads(raw: bytes | str) -> dict:
    try:
        body = loads(raw)
    except (orjson.JSONDecodeError, UnicodeDecodeError) as error:
        raise MalformedMessage(f"not JSON: {str(error)[:80]}") from None
    if not isinstance(body, dict):
        raise MalformedMessage("not a JSON object")
    return body


def decode(raw: bytes | str) -> Message:
    """The message a channel carried; MalformedMessage for anything else."""
    body = _loads(raw)
    cls = _TYPES.get(body.get("type"))
    if cls is None:
        raise MalformedMessage(f"unknown type {str(body.get('type'))[:40]!r}")
    return cls.from_json(body)
