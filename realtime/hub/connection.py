"""One socket's outbound side (see realtime/hub/__init__.py for the buffering rules)."""

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from common.logging import get_logger
from realtime.hub.symbol import SymbolStream
from realtime.protocol import CloseCode

if TYPE_CHECKING:  # the hub owns its connections; a connection only points back
    from realtime.hub.hub import Hub

log = get_logger("realtime.hub")


class Connection:
    """One socket's outbound side: a bounded buffer, written to the socket as soon as the socket
    takes it. Writes start synchronously (an ASGI send that does not have to wait completes
    without a task switch); the first write that must wait (the server's transport is paused:
    the client reads slowly) is finished by a task, and until it finishes everything else
    waits in the buffer, where quotes conflate and book deltas turn into a resync."""

    def __init__(self, hub: "Hub", send, *, max_queue: int):
        self.hub = hub
        self.send = send  # the ASGI send callable
        self.max_queue = max_queue
        self.queue: deque = deque()  # str, or (stream, seq, text) for a book delta
        self.conflated: dict[tuple, str] = {}
        self.resync: set[SymbolStream] = set()
        self.book_seq: dict[str, int | None] = {}  # symbol -> seq last written; present while subscribed
        self.subs: set[tuple[str, str]] = set()
        self.account_id: int | None = None  # set while subscribed to `orders`
        # The private stream (realtime/hub/private.py): the seq last written to this socket; while
        # messages are read from the database, the live ones that arrive meanwhile, and the reading task.
        self.private_seq = 0
        self.private_wait: list[tuple[int, str]] | None = None
        self.private_task: asyncio.Task | None = None
        self._written: asyncio.Event | None = None  # set when the buffer is all written (wait_written)
        self.close_code: int | None = None
        self.closed = False
        self.dropped = 0  # book deltas dropped for resync (for tests and stats)
        self.writer: asyncio.Task | None = None  # the task finishing a write that had to wait
        self.heartbeats = True  # the hub's heartbeat messages (not for the gateways' protocols)

    # --- producers (the hub, the consumer); never wait -------------------------
    # Text frames are str; binary frames (the msgpack of gateways.alpaca) bytes.
    def push(self, text: str | bytes) -> None:
        if self.close_code is not None:
            return
        if len(self.queue) >= self.max_queue:
            self._overflow()
            if self.close_code is not None:
                return
        self.queue.append(text)
        if self.writer is None:
            self._drain()

    def push_book(self, stream: SymbolStream, seq: int, text: str) -> None:
        if self.close_code is not None or stream in self.resync:
            return  # closing, or a fresh snapshot is owed anyway
        if len(self.queue) >= self.max_queue:
            self._overflow()
            if self.close_code is not None:
                return
        self.queue.append((stream, seq, text))
        if self.writer is None:
            self._drain()

    def push_latest(self, key: tuple, text: str) -> None:
        if self.close_code is None:
            if key in self.conflated:
                self.hub.counts["conflated"] += 1
            self.conflated[key] = text
            if self.writer is None:
                self._drain()

    def request_resync(self, stream: SymbolStream) -> None:
        if self.close_code is None and stream.symbol in self.book_seq:
            self.resync.add(stream)
            if self.writer is None:
                self._drain()

    async def wait_written(self) -> None:
        """Until every ordered message buffered so far is written (or the socket is closing)."""
        while self.queue and self.close_code is None and not self.closed:
            self._written = asyncio.Event()
            await self._written.wait()

    def _all_written(self) -> None:
        if self._written is not None:
            self._written.set()
            self._written = None

    def close(self, code: int) -> None:
        """Close after what is already buffered."""
        if self.close_code is None:
            self.close_code = code
            if self.writer is None:
                self._drain()

    def abort(self, code: int) -> None:
        """Close now, dropping what is buffered (the client is too slow to be told more)."""
        if self.closed:
            return
        self.close_code = code
        self.queue.clear()
        self.conflated.clear()
        self.resync.clear()
        if self.writer is not None:
            self.writer.cancel()
        self.closed = True
        self._all_written()
        self.writer = asyncio.get_running_loop().create_task(self._send_close(code))

    def _overflow(self) -> None:
        kept: deque = deque()
        for item in self.queue:
            if item.__class__ is tuple:
                self.resync.add(item[0])
                self.dropped += 1
                self.hub.counts["dropped"] += 1
            else:
                kept.append(item)
        self.queue = kept
        if len(kept) >= self.max_queue * 3 // 4:
            log.info("slow consumer closed", extra={"buffered": len(kept)})
            self.hub.counts["slow_closed"] += 1
            self.abort(CloseCode.SLOW_CONSUMER)

    # --- writing ---------------------------------------------------------------------
    def _next(self) -> str | bytes | None:
        while self.queue:
            item = self.queue.popleft()
            if item.__class__ is str or item.__class__ is bytes:
                return item
            item = self._book_text(*item)
            if item is not None:
                return item
        if self.conflated:
            key = next(iter(self.conflated))
            return self.conflated.pop(key)
        return self._next_snapshot()

    def _drain(self) -> None:
        """Write what is buffered until it is all written or a write has to wait."""
        if self.closed:
            return
        while True:
            text = self._next()
            if text is None:
                self._all_written()
                if self.close_code is not None:
                    self.closed = True
                    self.writer = asyncio.get_running_loop().create_task(self._send_close(self.close_code))
                return
            write = self.send({"type": "websocket.send", "text": text} if text.__class__ is str
                              else {"type": "websocket.send", "bytes": text})
            self.hub.counts["sent"] += 1
            try:
                waiting = write.send(None)
            except StopIteration:
                continue
            except Exception:
                self._gone()
                return
            self.writer = asyncio.get_running_loop().create_task(self._finish(write, waiting))
            return

    async def _finish(self, write, waiting) -> None:
        """Drive a write that had to wait to its end (as a task would), then drain the rest."""
        try:
            while True:
                try:
                    if waiting is None:  # a bare yield: let the loop run once
                        await asyncio.sleep(0)
                    else:  # the future the write waits on (it may not be awaited twice)
                        resumed = asyncio.get_running_loop().create_future()
                        waiting.add_done_callback(lambda _, r=resumed: r.done() or r.set_result(None))
                        await resumed
                except asyncio.CancelledError:
                    write.close()
                    raise
                try:
                    waiting = write.send(None)
                except StopIteration:
                    break
        except asyncio.CancelledError:
            raise
        except Exception:
            self._gone()
            return
        self.writer = None
        self._drain()

    def _gone(self) -> None:
        # The server refuses sends once the client is gone; the consumer's disconnect cleans up.
        self.closed = True
        self.queue.clear()
        self.conflated.clear()
        self._all_written()

    def _book_text(self, stream: SymbolStream, seq: int, text: str) -> str | None:
        last = self.book_seq.get(stream.symbol, False)
        if last is False or stream in self.resync:
            return None  # unsubscribed, or a snapshot is owed and will be sent instead
        if last is None or seq > last + 1:
            self.resync.add(stream)
            return None
        if seq <= last:
            return None
        self.book_seq[stream.symbol] = seq
        return text

    def _next_snapshot(self) -> str | None:
        for stream in self.resync:
            if stream.seq is not None:
                self.resync.discard(stream)
                if stream.symbol not in self.book_seq:
                    return self._next_snapshot()
                self.book_seq[stream.symbol] = stream.seq
                self.hub.counts["resyncs"] += 1
                return stream.snapshot_text()
        return None

    async def _send_close(self, code: int) -> None:
        self.closed = True
        try:
            await asyncio.wait_for(self.send({"type": "websocket.close", "code": code}), 5)
        except Exception:
            pass
