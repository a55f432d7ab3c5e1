"""UDP datagrams of ticks."""

import asyncio
import json
import socket
from decimal import Decimal

from marketdata.feeds.udp import UdpFeed

from .support import Sink, eventually, fast_backoff, stop


def send(port: int, *payloads: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for payload in payloads:
            sock.sendto(payload, ("127.0.0.1", port))


async def start(port: int = 0) -> tuple[UdpFeed, Sink, asyncio.Task]:
    sink = Sink()
    feed = UdpFeed(host="127.0.0.1", port=port, emit=sink, backoff=fast_backoff())
    task = asyncio.create_task(feed.run())
    await asyncio.wait_for(feed.bound.wait(), 5)
    return feed, sink, task


async def test_datagrams_of_one_tick_or_many_are_received_exactly():
    feed, sink, task = await start()
    send(feed.bound_port,
         b'{"symbol": "AAPL", "price": "190.01", "ts": "2024-06-14T14:30:00Z"}',
         json.dumps([{"symbol": "MSFT", "bid": 420.1, "ask": 420.2}, {"symbol": "AAL", "price": 14}]).encode())
    await eventually(lambda: len(sink) == 3)
    await stop(task)
    assert [(t.symbol, t.price, t.source) for t in sink] == [
        ("AAPL", Decimal("190.01"), "udp"), ("MSFT", Decimal("420.15"), "udp"), ("AAL", Decimal(14), "udp")]
    assert sink[1].bid == Decimal("420.1")
    assert feed.stats.messages == 2 and feed.stats.malformed == 0


async def test_malformed_datagrams_are_counted_and_the_feed_keeps_listening():
    feed, sink, task = await start()
    garbage = [b"", b"\xff\xfe\x00", b"hello", b"{\"symbol\": ", b"42", b"null", b'{"price": "1"}',
               b'{"symbol": "AAPL", "price": "NaN"}', b'{"symbol": "AAPL", "price": -3}', b"[" * 5000]
    send(feed.bound_port, *garbage)
    send(feed.bound_port, b'[{"symbol": "AAPL", "price": "1"}, "junk", {"symbol": "AAPL", "bid": "2", "ask": "1"}]')
    send(feed.bound_port, b'{"symbol": "AAPL", "price": "190.02"}')
    await eventually(lambda: feed.stats.messages == len(garbage) + 2)
    await eventually(lambda: len(sink) == 2)
    await stop(task)
    assert [t.price for t in sink] == [Decimal("1"), Decimal("190.02")]
    assert feed.stats.malformed == len(garbage) + 2
    assert feed.stats.drops == 0


async def test_a_port_in_use_is_retried_until_it_is_free():
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    sink = Sink()
    feed = UdpFeed(host="127.0.0.1", port=port, emit=sink, backoff=fast_backoff())
    task = asyncio.create_task(feed.run())
    try:
        await eventually(lambda: feed.stats.drops >= 2, what="bind retries")
        assert not feed.bound.is_set()
        holder.close()
        await asyncio.wait_for(feed.bound.wait(), 5)
        send(port, b'{"symbol": "AAPL", "price": "190"}')
        await eventually(lambda: len(sink) == 1)
    finally:
        holder.close()
        await stop(task)
    assert "Address already in use" in feed.stats.last_error or "Errno" in feed.stats.last_error
