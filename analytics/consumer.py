"""`run_analytics`'s loop: reads the engine stream through a consumer group and drives the
pipeline (analytics.pipeline). The engine never waits for it: the engine only appends.

One session: create the group if needed (from the stream's start), read the checkpoint, have
every processor restore its state, then read this consumer's pending entries (those read before a
crash and never acknowledged) and then new ones, in runs of up to `count`. After each run: the
processors' database work and the checkpoint in one transaction, their Redis commands in one
pipeline, their after-commit work, then XACK. Any failure ends the session; the next one starts
over from the database (so nothing is counted twice: entries at or before the checkpoint are
skipped), after a backoff. All database work goes through one thread (`in_db_thread`).
"""

import asyncio
import time
from collections import deque

from django.db import transaction

from analytics.figures import epoch_of
from analytics.pipeline import Context, Output, Processor
from analytics.store import checkpoint_get, checkpoint_save
from common import metrics
from common.db.threads import in_db_thread
from common.jsontext import dumps
from common.logging import get_logger
from realtime.channels import engine_stream_key
from realtime.messages import EngineBatch, MalformedMessage

log = get_logger("analytics")

GROUP = "analytics"
CHECKPOINT = "analytics"
STATUS_KEY = "analytics:status"  # JSON {last_id, entries, samples, lag_ms: {p50, p99, max}} every second
LAG_WINDOW_SECONDS = 10.0  # the status's lag figures are over the batches of the last 10 s


def stream_id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def db_call(fn, *args, **kwargs):
    return await in_db_thread(fn)(*args, **kwargs)


def _write(work, after, last_id: str | None) -> None:
    with transaction.atomic():
        for fn in work:
            fn()
        if last_id is not None:
            checkpoint_save(name=CHECKPOINT, last_id=last_id)
    for fn in after:
        try:
            fn()
        except Exception:
            log.warning("after-commit work failed", exc_info=True)


class StreamConsumer:
    def __init__(self, *, processors: list[Processor], redis, consumer: str = "analytics-1", count: int = 1000,
                 block_ms: int = 500):
        self.processors = list(processors)
        self.redis = redis
        self.stream = engine_stream_key()
        self.consumer = consumer
        self.count, self.block_ms = count, block_ms
        self.ctx = Context(redis=redis, db=db_call)
        self.checkpoint: tuple[int, int] = (0, 0)
        self.lags: deque[tuple[float, float]] = deque(maxlen=100_000)  # (when written, lag), the last 10 s
        self.entries = 0
        self.last_id: str | None = None
        self.sessions = 0
        self._out = Output()  # the current run's output

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        delay = 0.2
        while not stop.is_set():
            try:
                await self._session(stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("analytics session failed; starting over from the database", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5)

    async def _session(self, stop: asyncio.Event) -> None:
        self.sessions += 1
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except Exception as error:  # BUSYGROUP: it exists
            if "BUSYGROUP" not in str(error):
                raise
        last = await db_call(checkpoint_get, name=CHECKPOINT)
        self.checkpoint = stream_id(last) if last else (0, 0)
        self._out = Output()
        for processor in self.processors:
            await db_call(processor.restore)
        log.info("analytics session started", checkpoint=last, processors=[p.name for p in self.processors])
        cursor = "0"  # this consumer's pending entries first, then new ones
        next_tick = time.monotonic()
        while not stop.is_set():
            block = None if cursor == "0" else self.block_ms
            answer = await self.redis.xreadgroup(GROUP, self.consumer, {self.stream: cursor}, count=self.count,
                                                 block=block)
            entries = answer[0][1] if answer else []
            if cursor == "0" and not entries:
                cursor = ">"
            if entries:
                await self._run(entries)
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + 1.0
                await self._tick()

    async def _run(self, entries) -> None:
        for processor in self.processors:
            await processor.refresh(self.ctx)
        ids, stamps, last_id = [], [], None
        for raw_id, fields in entries:
            entry_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
            ids.append(entry_id)
            if stream_id(entry_id) <= self.checkpoint:
                continue  # its results are in the database already
            last_id = entry_id
            raw = (fields or {}).get(b"m") or (fields or {}).get("m")
            try:
                batch = EngineBatch.decode(raw or b"")
            except MalformedMessage as error:
                metrics.ANALYTICS_MALFORMED.inc()
                log.warning("malformed engine-stream entry skipped", id=entry_id, error=str(error)[:200])
                continue
            stamps.append(batch.ts)
            for processor in self.processors:
                processor.on_batch(entry_id, batch, self._out)
        out = self._out
        self._out = Output()
        for processor in self.processors:
            processor.flush(out)
        await self._apply(out, last_id)
        await self.redis.xack(self.stream, GROUP, *ids)
        if last_id is not None:
            self.checkpoint = stream_id(last_id)
            self.last_id = last_id
        now, written = time.time(), time.monotonic()
        for ts in stamps:
            lag = max(0.0, now - epoch_of(ts))
            self.lags.append((written, lag))
            metrics.ANALYTICS_LAG.observe(lag)
        self.entries += len(ids)
        metrics.ANALYTICS_ENTRIES.inc(len(ids))

    async def _apply(self, out: Output, last_id: str | None) -> None:
        if out.db or last_id is not None:
            await db_call(_write, out.db, [], last_id)
        if out.redis:
            pipe = self.redis.pipeline(transaction=False)
            for fn in out.redis:
                fn(pipe)
            await pipe.execute()
        if out.after:
            await db_call(_write, [], out.after, None)

    async def _tick(self) -> None:
        out = Output()
        for processor in self.processors:
            await processor.tick(self.ctx, out)
        if out:
            await self._apply(out, None)
        await self.redis.set(STATUS_KEY, dumps(self.status()))

    def status(self) -> dict:
        horizon = time.monotonic() - LAG_WINDOW_SECONDS
        while self.lags and self.lags[0][0] < horizon:
            self.lags.popleft()
        lags = sorted(lag for _, lag in self.lags)

        def pct(q: float) -> float | None:
            return round(lags[min(len(lags) - 1, int(q * len(lags)))] * 1000, 2) if lags else None

        return {"last_id": self.last_id, "entries": self.entries, "samples": len(lags),
                "lag_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": pct(1.0)}}
