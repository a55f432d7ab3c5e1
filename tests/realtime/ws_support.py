"""Helpers of the WebSocket tests: sockets through Channels' WebsocketCommunicator, and a
stand-in for the engine's publisher (the same Redis keys and pub/sub channels)."""

import asyncio
import json

from channels.testing import WebsocketCommunicator

from common.redis import new_async_redis
from realtime.channels import account_channel, book_key, quote_key, symbol_channel
from realtime.messages import BookDelta, BookSnapshot, MarketData, PrivateMessages
from tradeapp.asgi import application

ORIGIN = (b"origin", b"http://localhost")


async def connect(path: str = "/ws/v1/", headers=None) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, path, headers=[ORIGIN, *(headers or [])])
    connected, _ = await ws.connect()
    assert connected
    return ws


async def receive(ws, timeout: float = 3) -> dict:
    return await ws.receive_json_from(timeout=timeout)


async def receive_until(ws, kind: str, timeout: float = 5) -> tuple[dict, list[dict]]:
    """The first message of `kind`, and the messages before it."""
    skipped = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        message = await receive(ws, max(0.01, deadline - asyncio.get_running_loop().time()))
        if message["type"] == kind:
            return message, skipped
        skipped.append(message)


async def subscribe(ws, channels, symbols=(), action="subscribe") -> dict:
    await ws.send_json_to({"action": action, "channels": list(channels), "symbols": list(symbols)})
    return await receive(ws)


class FakeEngine:
    """Publishes as realtime/publish/engine.py does, by hand, with the same messages."""

    def __init__(self):
        self.redis = new_async_redis()
        self.seqs: dict[int, int] = {}  # account -> last private seq published

    async def snapshot(self, symbol: str, seq: int, bids, asks) -> None:
        await self.redis.set(book_key(symbol), BookSnapshot(seq=seq, bids=bids, asks=asks).encode())

    async def quote(self, symbol: str, **quote) -> None:
        await self.redis.set(quote_key(symbol), json.dumps(quote))

    async def publish(self, symbol: str, **fields) -> None:
        """A MarketData message; `book`/`snapshot` as dicts ({seq, changes} / {seq, bids, asks})."""
        book, snapshot = fields.pop("book", None), fields.pop("snapshot", None)
        message = MarketData(symbol=symbol, ts="2026-01-01T00:00:00Z", **fields,
                             book=BookDelta(**book) if book else None,
                             snapshot=BookSnapshot(**snapshot) if snapshot else None)
        await self.redis.publish(symbol_channel(symbol), message.encode())

    async def delta(self, symbol: str, seq: int, changes) -> None:
        await self.snapshot_apply(symbol, seq, changes)
        await self.publish(symbol, book={"seq": seq, "changes": changes})

    async def snapshot_apply(self, symbol: str, seq: int, changes) -> None:
        raw = await self.redis.get(book_key(symbol))
        book = json.loads(raw) if raw else {"bids": [], "asks": []}
        levels = {"buy": dict(book["bids"]), "sell": dict(book["asks"])}
        for side, price, qty in changes:
            if qty == "0":
                levels[side].pop(price, None)
            else:
                levels[side][price] = qty
        bids = sorted(levels["buy"].items(), key=lambda kv: -float(kv[0]))
        asks = sorted(levels["sell"].items(), key=lambda kv: float(kv[0]))
        await self.snapshot(symbol, seq, [list(x) for x in bids], [list(x) for x in asks])

    async def order_updates(self, account_id: int, updates) -> None:
        """`order_update` messages with the account's next seqs (an account no engine settled is at 0)."""
        first = self.seqs.get(account_id, 0) + 1
        self.seqs[account_id] = first + len(updates) - 1
        texts = [(seq, json.dumps({"type": "order_update", "seq": seq, **u})) for seq, u in enumerate(updates, first)]
        await self.redis.publish(account_channel(account_id), PrivateMessages(account_id=account_id, messages=texts).encode())

    async def clear(self, *symbols: str) -> None:
        for symbol in symbols:
            await self.redis.delete(book_key(symbol), quote_key(symbol))

    async def close(self) -> None:
        await self.redis.aclose()


def apply_book(book: dict, message: dict) -> dict:
    """A client's book after a book_snapshot or book_delta message ({"bids": {price: qty}, ...})."""
    if message["type"] == "book_snapshot":
        return {"seq": message["seq"], "bids": dict(message["bids"]), "asks": dict(message["asks"])}
    assert message["seq"] == book["seq"] + 1, (book["seq"], message["seq"])
    for side, price, qty in message["changes"]:
        levels = book["bids" if side == "buy" else "asks"]
        if float(qty) == 0:
            levels.pop(price, None)
        else:
            levels[price] = qty
    book["seq"] = message["seq"]
    return book
