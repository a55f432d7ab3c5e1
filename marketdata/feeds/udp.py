"""UDP feed: datagrams of ticks on a port (`manage.py send_ticks` sends some).

Each datagram is UTF-8 JSON: one tick object or an array of them, in the generic shape
{"symbol", "price"?, "bid"?, "ask"?, "bid_size"?, "ask_size"?, "ts"?} (decimals as strings
or numbers). A bad datagram, or a bad item in an array, is counted and dropped. If the socket
cannot be bound (port in use) or closes, the feed binds again with backoff.
"""

import asyncio

from marketdata.feeds.base import Feed
from marketdata.feeds.ticks import MalformedTick, decode_json, tick_from_mapping


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, feed: "UdpFeed", closed: asyncio.Future):
        self.feed, self.closed = feed, closed

    def datagram_received(self, data: bytes, addr) -> None:
        self.feed.handle_datagram(data)

    def error_received(self, exc: Exception) -> None:
        self.feed.stats.last_error = repr(exc)[:300]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(exc)


class UdpFeed(Feed):
    kind = "udp"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 9870, **kwargs):
        super().__init__(**kwargs)
        self.host, self.port = host, port
        self.bound_port: int | None = None
        self.bound = asyncio.Event()

    def handle_datagram(self, data: bytes) -> None:
        self.stats.messages += 1
        try:
            items = decode_json(data)
        except MalformedTick as error:
            self.malformed(data[:200], error)
            return
        for item in items if isinstance(items, list) else [items]:
            self.emit_or_count(lambda: tick_from_mapping(item, source=self.name), item)

    async def session(self) -> bool:
        loop = asyncio.get_running_loop()
        closed = loop.create_future()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self, closed),
                                                           local_addr=(self.host, self.port))
        try:
            self.bound_port = transport.get_extra_info("sockname")[1]
            self.bound.set()
            error = await closed
            if error is not None:
                raise error
            return False
        finally:
            self.bound.clear()
            transport.close()
