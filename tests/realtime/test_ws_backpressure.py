"""A deliberately slow socket: its writes wait while the hub keeps receiving. Quotes conflate,
book deltas turn into one fresh snapshot, nothing grows without bound, the other sockets are
not held up, and a socket whose buffer stays full of what cannot be conflated is closed 4008."""

import asyncio
import json

from realtime.hub import Connection, Hub, SymbolStream
from realtime.messages import BookDelta, MarketData
from realtime.protocol import CloseCode
from tests.realtime.ws_support import apply_book


class SlowSocket:
    """An ASGI send that waits while the gate is shut, like a server under TCP backpressure."""

    def __init__(self, open_: bool = False):
        self.gate = asyncio.Event()
        if open_:
            self.gate.set()
        self.sent: list[dict] = []

    async def send(self, message: dict) -> None:
        await self.gate.wait()
        self.sent.append(message)

    def messages(self) -> list[dict]:
        return [json.loads(m["text"]) for m in self.sent if m["type"] == "websocket.send"]


def book_update(seq: int) -> MarketData:
    return MarketData(symbol="AAPL", ts="t",
                      book=BookDelta(seq=seq, changes=[["buy", f"{seq % 40 + 1}.00", str(seq)], ["sell", "500.00", str(seq)]]),
                      quote={"bid": f"{seq}.00", "bid_qty": "1", "ask": None, "ask_qty": None, "last": None, "ts": str(seq)})


def subscribed(hub: Hub, socket: SlowSocket, max_queue: int = 50) -> Connection:
    stream = hub.symbols.setdefault("AAPL", SymbolStream("AAPL"))
    if stream.seq is None:
        stream.reset(0, [], [])
    connection = Connection(hub, socket.send, max_queue=max_queue)
    hub.connections.add(connection)
    SOCKETS[connection] = socket
    for channel in ("book", "quotes"):
        stream.subs[channel].add(connection)
        connection.subs.add((channel, "AAPL"))
    connection.book_seq["AAPL"] = None
    connection.request_resync(stream)
    return connection


SOCKETS: dict[Connection, SlowSocket] = {}


def _at_rest(connection: Connection) -> bool:
    """Written out (nothing buffered or owed that can be written), blocked on a shut socket, or closed."""
    if connection.closed:
        return connection.writer is None or connection.writer.done()
    if connection.writer is not None:
        return not SOCKETS[connection].gate.is_set()
    owed = any(stream.seq is not None for stream in connection.resync)
    return not connection.queue and not connection.conflated and not owed


async def settle(hub: Hub, timeout: float = 5) -> None:
    """Let the event loop run until every connection of the hub is at rest."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not all(_at_rest(c) for c in hub.connections):
        assert asyncio.get_running_loop().time() < deadline, "connections did not come to rest"
        await asyncio.sleep(0)


async def test_a_slow_socket_gets_the_latest_quote_and_one_fresh_snapshot():
    hub = Hub()
    slow, fast = SlowSocket(), SlowSocket(open_=True)
    slow_connection, _ = subscribed(hub, slow), subscribed(hub, fast)
    await settle(hub)
    for seq in range(1, 2001):
        hub.dispatch(book_update(seq))
        if seq % 10 == 0:
            await asyncio.sleep(0)  # the fast socket's writer runs; the slow one stays blocked
            assert len(slow_connection.queue) <= slow_connection.max_queue
    await settle(hub)
    # The fast socket saw every delta, in order.
    fast_book = {}
    fast_deltas = 0
    for message in fast.messages():
        if message["type"].startswith("book"):
            fast_book = apply_book(fast_book, message)
            fast_deltas += message["type"] == "book_delta"
    assert fast_deltas == 2000 and fast_book["seq"] == 2000
    # The slow one, once it reads again, gets one snapshot at the latest seq and the latest quote.
    assert slow_connection.dropped > 0 and slow_connection.close_code is None
    slow.gate.set()
    await settle(hub)
    messages = slow.messages()
    assert len(messages) <= 5, [m["type"] for m in messages]
    books = [m for m in messages if m["type"].startswith("book")]
    quotes = [m for m in messages if m["type"] == "quote"]
    assert books[-1]["type"] == "book_snapshot" and books[-1]["seq"] == 2000
    assert quotes == [{"type": "quote", "symbol": "AAPL", "bid": "2000.00", "bid_qty": "1", "ask": None,
                       "ask_qty": None, "last": None, "ts": "2000"}]
    slow_book = {}
    for message in books:
        slow_book = apply_book(slow_book, message)
    assert slow_book == fast_book
    # And it streams deltas again from there.
    hub.dispatch(book_update(2001))
    await settle(hub)
    latest = [m for m in slow.messages() if m["type"].startswith("book")][-1]
    assert (latest["type"], latest["seq"]) == ("book_delta", 2001)


async def test_a_socket_whose_buffer_stays_full_is_closed_with_4008():
    hub = Hub()
    slow = SlowSocket()
    connection = subscribed(hub, slow, max_queue=20)
    hub.symbols["AAPL"].subs["trades"].add(connection)
    await settle(hub)
    for trade_id in range(1, 100):
        hub.dispatch(MarketData(symbol="AAPL", ts="t", trades=[
            {"trade_id": trade_id, "price": "1.00", "qty": "1", "aggressor_side": "buy", "ts": "t"}]))
    assert connection.close_code == CloseCode.SLOW_CONSUMER
    assert len(connection.queue) == 0
    slow.gate.set()
    await settle(hub)
    assert slow.sent[-1] == {"type": "websocket.close", "code": CloseCode.SLOW_CONSUMER}
    assert len(slow.sent) <= 2  # at most the write it was stuck in, then the close
