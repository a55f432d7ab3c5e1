"""A socket's order entry: its requests wait in one queue and are carried out in arrival order in
the process's order-entry database threads, so answers leave in request order while the event
loop only reads frames and writes answers. The database threads keep their connections open (no
connect per message); requests that wait together go to the database together (one trip, one
batch for consecutive places)."""

import asyncio
from collections import deque

from django.conf import settings

from common.db.threads import DbThreads
from realtime.entry.calls import Caller, requests_run
from realtime.entry.protocol import (
    ENTRY_BURST,
    ENTRY_RATE_PER_SECOND,
    MAX_DRAIN,
    MAX_PENDING,
    error_answer,
    rate_limited_answer,
    read_request,
)
from realtime.protocol import FLOOD_REFUSALS, CloseCode, RateLimiter

_threads: DbThreads | None = None


def entry_threads() -> DbThreads:
    """This process's order-entry database threads (WS_ENTRY_DB_THREADS of them)."""
    global _threads
    if _threads is None:
        _threads = DbThreads("ws-entry-db", settings.WS_ENTRY_DB_THREADS)
    return _threads


class OrderEntry:
    """One socket's order entry. `submit` never waits; `close` on disconnect."""

    def __init__(self, out):
        self.out = out  # the socket's Connection (realtime/hub)
        self.limiter = RateLimiter(rate=ENTRY_RATE_PER_SECOND, burst=ENTRY_BURST)
        self.queue: deque = deque()  # (Request, Caller)
        self.task: asyncio.Task | None = None
        self.callers: dict[tuple, Caller] = {}

    def caller(self, user, can_trade: bool) -> Caller:
        """One Caller per identity of the socket, so its account is looked up once."""
        key = (None if user is None else user.pk, can_trade)
        found = self.callers.get(key)
        if found is None:
            found = self.callers[key] = Caller(user=user, can_trade=can_trade)
        return found

    def submit(self, message: dict, *, user, can_trade: bool) -> None:
        request = read_request(message)
        if not self.limiter.allow():
            if self.limiter.refused > FLOOD_REFUSALS:
                self.out.close(CloseCode.FLOOD)
                return
            request.answer = rate_limited_answer(request.id, 1.0 / ENTRY_RATE_PER_SECOND)
        elif len(self.queue) >= MAX_PENDING and request.answer is None:
            request.answer = error_answer(request.id, 429, "rate_limited",
                                          f"{MAX_PENDING} requests of this socket are waiting; wait for their answers.",
                                          retry_after=1)
        self.queue.append((request, self.caller(user, can_trade)))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self.queue:
                batch, caller = [], self.queue[0][1]
                while self.queue and len(batch) < MAX_DRAIN and self.queue[0][1] is caller:
                    batch.append(self.queue.popleft()[0])
                if all(r.answer is not None for r in batch):
                    answers = [r.answer for r in batch]
                else:
                    answers = await entry_threads().run(requests_run, batch, caller=caller)
                if self.out.close_code is not None:
                    return
                for answer in answers:
                    self.out.push(answer)
        finally:
            self.task = None

    async def close(self) -> None:
        """Stop answering (a request already in the database thread is still carried out)."""
        self.queue.clear()
        if self.task is not None:
            self.task.cancel()
