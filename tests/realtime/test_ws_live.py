"""A real WebSocket client (the `websockets` library, and a raw socket for the slow reader)
against a running ASGI server (Daphne, and uvicorn: docs/realtime.md) and a real engine."""

import asyncio
import json
import socket
import time
import urllib.request
from decimal import Decimal as D

import pytest
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect as ws_connect

from orders.models import Order
from orders.services import order_place
from tests.factories import make_instrument, make_trader
from tests.processes import free_port, http_ok, running, venv_bin, wait_for
from tests.realtime.ws_support import FakeEngine, apply_book

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


SERVERS = {
    "daphne": lambda port: [venv_bin("daphne"), "-b", "127.0.0.1", "-p", str(port), "tradeapp.asgi:application"],
    "uvicorn": lambda port: [venv_bin("uvicorn"), "tradeapp.asgi:application", "--host", "127.0.0.1", "--port",
                             str(port), "--lifespan", "off", "--no-access-log", "--ws-per-message-deflate", "false",
                             "--ws-max-size", "1048576"],
}


@pytest.fixture(params=sorted(SERVERS))
def server(request, transactional_db):
    port = free_port()
    with running(SERVERS[request.param](port), log_name=f"ws-{request.param}", WS_HEARTBEAT_SECONDS="1") as process:
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}/healthz") or process.poll() is not None, 30, "web server")
        assert process.poll() is None, process.log_path.read_text()[-2000:]
        yield request.param, port


async def recv(ws, timeout: float = 10) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_type(ws, kinds, timeout: float = 10) -> dict:
    while True:
        message = await recv(ws, timeout)
        if message["type"] in kinds:
            return message


async def test_real_client_against_a_running_server_and_engine(server, engine):
    kind, port = server
    def setup():
        aapl = make_instrument("AAPL")
        buyer = make_trader("buyer", cash="1000000.00")
        seller = make_trader("seller", cash="1000.00", positions={aapl: "10000"})
        return buyer, seller, {name: Token.objects.create(user=account.user).key
                               for name, account in (("buyer", buyer), ("seller", seller))}

    buyer, seller, tokens = await database_sync_to_async(setup)()
    url = f"ws://127.0.0.1:{port}/ws/v1/"
    async with ws_connect(url) as watcher, ws_connect(f"{url}?token={tokens['buyer']}") as mine, \
            ws_connect(url) as other, ws_connect(f"{url}?token=wrong") as refused:
        # A bad token: told, then closed with 4001.
        assert (await recv(refused))["code"] == "auth_failed"
        with pytest.raises(Exception):
            await recv(refused)
        assert refused.close_code == 4001
        # The first-message auth.
        await other.send(json.dumps({"action": "auth", "token": tokens["seller"]}))
        assert (await recv(other))["type"] == "authenticated"
        await watcher.send(json.dumps({"action": "subscribe", "channels": ["book", "trades"], "symbols": ["AAPL"]}))
        assert (await recv(watcher))["type"] == "subscribed"
        book = apply_book({}, await recv(watcher))
        for ws in (mine, other):
            await ws.send(json.dumps({"action": "subscribe", "channels": ["orders"]}))
            assert (await recv_type(ws, ("subscribed",)))["channels"] == ["orders"]
        # Bad frames get errors; the socket stays usable.
        for frame in ("nope", "[]", json.dumps({"action": "subscribe", "channels": ["book"], "symbols": ["ZZZ"]})):
            await watcher.send(frame)
            assert (await recv_type(watcher, ("error",)))["code"] in ("bad_json", "bad_message", "unknown_symbol")

        place = database_sync_to_async(order_place)
        mine_ids = set()
        for i in range(60):
            side = "buy" if i % 2 else "sell"
            order, _ = await place(account=buyer if side == "buy" else seller, symbol="AAPL", side=side,
                                   type="limit", qty=D(1 + i % 5), limit_price=D(100) + D(i % 7 - 3) / 10)
            if side == "buy":
                mine_ids.add(order.pk)

        def settled():
            return not Order.objects.filter(status="accepted").exists()

        for _ in range(400):
            if await database_sync_to_async(settled)():
                break
            await asyncio.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/marketdata/AAPL/book/?depth=1000") as response:
            final = json.loads(response.read())
        while book["seq"] < final["seq"]:
            message = await recv_type(watcher, ("book_delta", "book_snapshot"))
            book = apply_book(book, message)  # gap-free: each seq one more than the last
        assert {s: book[s] for s in ("bids", "asks")} == {s: dict(final[s]) for s in ("bids", "asks")}

        # The buyer's updates reach the buyer's socket only, and only for the buyer's orders.
        seen = set()
        while True:
            try:
                message = await recv_type(mine, ("order_update",), timeout=1)
            except TimeoutError:
                break
            seen.add(message["order"]["id"])
        assert seen and seen <= mine_ids
        while True:
            try:
                message = await recv_type(other, ("order_update",), timeout=0.5)
            except TimeoutError:
                break
            assert message["order"]["id"] not in mine_ids
        # Heartbeats (every second in this test) keep coming.
        assert (await recv_type(watcher, ("heartbeat",), timeout=5))["ts"]


class RawClient:
    """A WebSocket client on a plain socket with a tiny receive buffer, so it can stop reading."""

    def __init__(self, port: int):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(b"GET /ws/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        assert self.buffer.startswith(b"HTTP/1.1 101"), self.buffer
        self.buffer = self.buffer.split(b"\r\n\r\n", 1)[1]
        self.received_bytes = 0

    async def wait_for_bytes(self, needle: bytes, timeout: float = 10) -> None:
        """Until `needle` has arrived in the socket's receive buffer (peeked, not read)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if needle in self.buffer + self.sock.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                    return
            except BlockingIOError:
                pass
            assert time.monotonic() < deadline, f"{needle!r} never arrived"
            await asyncio.sleep(0.01)

    def send(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        assert len(data) < 126
        mask = b"\x01\x02\x03\x04"
        self.sock.sendall(bytes([0x81, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def messages(self, quiet: float = 1.0):
        """Read until nothing arrives for `quiet` seconds; the text messages."""
        self.sock.settimeout(quiet)
        out = []
        while True:
            while len(self.buffer) >= 2:
                length, head = self.buffer[1] & 0x7F, 2
                if length == 126:
                    length, head = int.from_bytes(self.buffer[2:4], "big"), 4
                elif length == 127:
                    length, head = int.from_bytes(self.buffer[2:10], "big"), 10
                if len(self.buffer) < head + length:
                    break
                if self.buffer[0] & 0x0F == 1:
                    out.append(json.loads(self.buffer[head:head + length]))
                self.buffer = self.buffer[head + length:]
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return out
            if not chunk:
                return out
            self.received_bytes += len(chunk)
            self.buffer += chunk


async def test_a_slow_reader_is_conflated_and_resynced_and_holds_up_no_one(transactional_db):
    """uvicorn (the server docs/realtime.md chose) applies TCP backpressure to the ASGI send, so
    the hub sees a slow reader. (Daphne's send never waits: it buffers in Twisted without bound.)"""
    await database_sync_to_async(make_instrument)("AAPL")
    port = free_port()
    fake = FakeEngine()
    await fake.clear("AAPL")
    await fake.snapshot("AAPL", 1, [], [])
    with running(SERVERS["uvicorn"](port), log_name="ws-uvicorn-slow", WS_MAX_QUEUE="100") as process:
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}/healthz") or process.poll() is not None, 30, "uvicorn")
        slow = RawClient(port)
        slow.send({"action": "subscribe", "channels": ["book", "quotes"], "symbols": ["AAPL"]})
        async with ws_connect(f"ws://127.0.0.1:{port}/ws/v1/", max_queue=None) as fast:
            await fast.send(json.dumps({"action": "subscribe", "channels": ["book", "quotes"], "symbols": ["AAPL"]}))
            assert (await recv(fast))["type"] == "subscribed"
            fast_book = apply_book({}, await recv(fast))
            await slow.wait_for_bytes(b"book_snapshot")  # its snapshot is written; it now reads nothing
            # ~5 KB a delta, 15 MB in all: more than the kernel's socket buffers (4 MB) can hide.
            wide = [["buy", f"{p / 100:.2f}", "1"] for p in range(1000, 1200)]
            published = 3000
            started = time.monotonic()
            lags = []
            for seq in range(2, published + 2):
                changes = [["sell", f"{200 + seq % 50}.00", str(seq)]] + wide
                await fake.publish("AAPL", book={"seq": seq, "changes": changes},
                                   quote={"bid": f"{seq}.00", "bid_qty": "1", "ask": None, "ask_qty": None,
                                          "last": None, "ts": str(seq)})
                if seq % 20 == 0:  # the fast client keeps up meanwhile
                    while fast_book["seq"] < seq:
                        message = await recv_type(fast, ("book_delta", "book_snapshot"))
                        fast_book = apply_book(fast_book, message)
                    lags.append(time.monotonic() - started)
            while fast_book["seq"] < published + 1:
                fast_book = apply_book(fast_book, await recv_type(fast, ("book_delta", "book_snapshot")))
            # Now the slow client reads everything the server still holds for it.
            messages = await asyncio.to_thread(slow.messages, 2.0)
        await fake.close()
    kinds = [m["type"] for m in messages]
    assert kinds.count("book_snapshot") >= 2, kinds[:20]  # the first, then at least one resync
    assert len(messages) < published / 2  # far fewer than were published: no backlog was kept
    quotes = [m for m in messages if m["type"] == "quote"]
    assert quotes[-1]["bid"] == f"{published + 1}.00"  # the latest quote, not a queue of stale ones
    slow_book = {}
    for message in messages:
        if message["type"] in ("book_snapshot", "book_delta"):
            slow_book = apply_book(slow_book, message)
    assert slow_book == fast_book  # it ends at exactly the same book
