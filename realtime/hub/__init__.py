"""The per-process hub: market data reaches each web process once and is fanned out in memory.

One `Hub` per event loop (so one per web process) holds one Redis pub/sub connection. It
subscribes to a symbol's channel the first time one of its sockets subscribes to that symbol,
and to an account's channel while one of its sockets of that account is subscribed to
`orders`. Each message from the engine is decoded and serialized once, then handed to every
interested socket's `Connection`, which writes at once when the socket takes it and otherwise
buffers (boundedly); only that socket's own task ever waits on that socket.

Each `Connection` buffers at most `MAX_QUEUE` ordered messages. Quotes, candles and heartbeats
are conflated (one pending per key, latest wins). When the buffer is full, its book deltas are
dropped and each of those books is resent later as one fresh snapshot; if it is still full, the
socket is closed with 4008. The hub keeps each subscribed book (Redis snapshot + deltas, by the
book `seq`), so a snapshot for a new subscriber or a resync costs no Redis round trip and lines
up exactly with the deltas that follow. See docs/realtime.md.
"""

from realtime.hub.connection import Connection
from realtime.hub.hub import Hub, get_hub
from realtime.hub.symbol import SymbolStream

__all__ = ["Connection", "Hub", "SymbolStream", "get_hub"]
