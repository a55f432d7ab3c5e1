"""The Alpaca-style WebSocket quotes client against a local fake server that authenticates,
sends quotes, then garbage, then disconnects (cleanly or by dropping the TCP connection)."""

import asyncio
import json
import socket
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from websockets.asyncio.server import serve

from marketdata.feeds.alpaca import AlpacaQuotesFeed
from marketdata.feeds.ticks import Tick

from .fake_alpaca import KEY, SECRET, FakeAlpaca, quote
from .support import Sink, eventually, fast_backoff, static_instruments, stop

TS = datetime(2024, 6, 14, 14, 30, 0, 123456, tzinfo=UTC)

GARBAGE = [  # (frame, how many malformed inputs it holds)
    ("this is not json", 1),
    (b"\x00\x01binary", 1),
    ('{"T": "q"}', 1),  # a lone object is read as one message: this quote has no symbol
    ('"a string"', 1),
    ("[1, null, []]", 3),
    ([quote("AAPL", "abc", 190.03)], 1),
    ([quote("AAPL", 191, 190)], 1),  # crossed
    ([{"T": "q", "S": "AAPL", "bp": 190, "ap": 190.02}], 1),  # no timestamp
    ([{"T": "zz"}], 1),
    ('[{"T": "q", "S": "AAPL", "bp": NaN, "ap": 1, "t": "2024-06-14T14:30:00Z"}]', 1),
    ([{"T": "b", "S": "AAPL", "o": 1, "h": 1, "l": 1, "c": 1, "v": 1}], 0),  # a bar: not used, not an error
    ([{"T": "error", "code": 405, "msg": "symbol limit exceeded"}], 0),  # not fatal once authenticated
]
MALFORMED_PER_CONNECTION = sum(n for _, n in GARBAGE)

SCRIPT = ([[quote("AAPL", 190.01, 190.03)]] + [frame for frame, _ in GARBAGE]
          + [[quote("MSFT", 420.10, 420.12), {"T": "t", "S": "AAL", "p": 14.01, "s": 100, "t": "2024-06-14T14:30:00.123456Z"}]])


def client(url: str, sink: Sink, **kwargs) -> AlpacaQuotesFeed:
    kwargs.setdefault("symbols", ["AAPL", "MSFT"])
    return AlpacaQuotesFeed(url=url, key=KEY, secret=SECRET, emit=sink, backoff=fast_backoff(), **kwargs)


async def test_quotes_parse_exactly_garbage_is_counted_and_every_drop_reconnects():
    sink = Sink()
    async with FakeAlpaca([(SCRIPT, "close"), (SCRIPT, "abort"), (SCRIPT, "stay")]) as server:
        feed = client(server.url, sink)
        task = asyncio.create_task(feed.run())
        await eventually(lambda: len(sink) >= 9, what="three connections' ticks")
        await stop(task)
    assert server.connections == 3
    assert feed.stats.drops == 2  # a clean close, then a dropped TCP connection
    assert feed.stats.malformed == 3 * MALFORMED_PER_CONNECTION
    assert server.subscriptions == [{"action": "subscribe", "quotes": ["AAPL", "MSFT"]}] * 3
    assert sink[:3] == [
        Tick(symbol="AAPL", price=Decimal("190.02"), bid=Decimal("190.01"), ask=Decimal("190.03"),
             bid_size=Decimal(3), ask_size=Decimal(5), ts=TS, source="alpaca"),
        Tick(symbol="MSFT", price=Decimal("420.11"), bid=Decimal("420.10"), ask=Decimal("420.12"),
             bid_size=Decimal(3), ask_size=Decimal(5), ts=TS, source="alpaca"),
        Tick(symbol="AAL", price=Decimal("14.01"), ts=TS, source="alpaca"),
    ]
    assert sink[3:6] == sink[:3] == sink[6:9]


async def test_a_refused_login_is_retried_with_backoff():
    sink = Sink()
    async with FakeAlpaca([(SCRIPT, "stay")], reject_auth=2) as server:
        feed = client(server.url, sink)
        task = asyncio.create_task(feed.run())
        await eventually(lambda: len(sink) >= 3)
        await stop(task)
    assert server.logins == 3
    assert feed.stats.drops == 2
    assert "402" in feed.stats.last_error


async def test_with_no_symbols_it_subscribes_to_every_instrument():
    sink = Sink()
    async with FakeAlpaca([([[quote("AAL", 14, 14.02)]], "stay")]) as server:
        feed = client(server.url, sink, symbols=None, instruments=static_instruments)
        task = asyncio.create_task(feed.run())
        await eventually(lambda: len(sink) >= 1)
        await stop(task)
    assert server.subscriptions == [{"action": "subscribe", "quotes": ["AAPL", "AAL", "BRK.A"]}]
    assert feed.subscribed == ["AAPL", "AAL", "BRK.A"]


async def test_a_server_that_is_down_at_first_is_reached_when_it_comes_up():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    feed = client(f"ws://127.0.0.1:{port}/v2/iex", sink)
    task = asyncio.create_task(feed.run())
    try:
        await eventually(lambda: feed.stats.drops >= 2, what="refused connects")
        assert "ConnectionRefusedError" in feed.stats.last_error
        server = FakeAlpaca([(SCRIPT, "stay")])
        server.port = port
        async with server:
            await eventually(lambda: len(sink) >= 3)
            await stop(task)
    finally:
        await stop(task)


async def test_a_server_that_never_authenticates_is_left_and_retried():
    connections = []

    async def silent(ws):
        connections.append(ws)
        await ws.wait_closed()

    async with serve(silent, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        feed = client(f"ws://127.0.0.1:{port}/", Sink(), auth_timeout=0.1)
        task = asyncio.create_task(feed.run())
        await eventually(lambda: len(connections) >= 2)
        await stop(task)
    assert "not authenticated in time" in feed.stats.last_error


def test_it_needs_symbols_or_an_instrument_source():
    with pytest.raises(ValueError):
        AlpacaQuotesFeed(url="ws://127.0.0.1:1/", emit=Sink())


def test_the_handshake_replies():
    feed = client("ws://unused/", Sink(), trades=True)
    assert feed.handle_frame(json.dumps([{"T": "success", "msg": "connected"}]), ["AAPL"]) == [
        {"action": "auth", "key": KEY, "secret": SECRET}]
    assert feed.handle_frame(json.dumps([{"T": "success", "msg": "authenticated"}]), ["AAPL"]) == [
        {"action": "subscribe", "quotes": ["AAPL"], "trades": ["AAPL"]}]
    assert feed.authenticated
