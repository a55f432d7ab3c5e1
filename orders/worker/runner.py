"""The engine worker's asyncio loop: read the shard's stream in batches, settle each batch
in the database thread, acknowledge, then publish (while the next batch settles). Nothing is
published before commit.

The worker does not know how its results reach the clients: the entry point that starts it
(`manage.py run_engine`) passes a `Publisher` (realtime's), which it calls after each commit.
"""

import asyncio
import gc
import json
import os
import signal
import time
from typing import Protocol

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from common import metrics
from common.logging import get_logger
from common.outages import DATABASE_UNAVAILABLE, outage_code, outage_logged
from common.redis import new_async_redis
from marketdata.models import Candle, Instrument
from orders.bus import (
    FIELD,
    GROUP,
    BusCommand,
    CommandKind,
    MalformedCommand,
    heartbeat_key,
    stats_key,
    stream_for_shard,
)
from orders.engine import MidpointTrade, Trade
from orders.worker.candles import CandleFolder
from orders.worker.core import BatchResult, EngineCore
from orders.worker.lease import LeaseLost, ShardLease

log = get_logger("orders.engine")

BATCH_SIZE = 500
# A read that brings fewer commands than this waits ENGINE_LINGER_MS once for more.
LINGER_BELOW = 32
# Seconds between two candle folds while symbols trade (candles are bars of a minute or more; a
# fold holds the database thread for a few ms, so a shorter period shows in the engine lag's p99).
CANDLE_PERIOD = 1.0


class _Stopped(Exception):
    """The worker was asked to stop while it waited for the database."""


class Publisher(Protocol):
    """Where committed work goes. Neither method may raise: a failure is the publisher's to log
    (and to recover from by publishing whole snapshots later)."""

    async def publish_batch(self, result: BatchResult) -> None: ...

    async def publish_candles(self, candles: dict[str, tuple[Instrument, list[Candle]]]) -> None: ...


class EngineWorker:
    def __init__(self, *, shard: int, shards: int, publisher: Publisher):
        self.shard, self.shards = shard, shards
        self.core = EngineCore(shard=shard, shards=shards)
        self.publisher = publisher
        self.candles = CandleFolder()
        self.stream = stream_for_shard(shard, shards)
        self.consumer = f"engine-{shard}"
        self.stopping = asyncio.Event()
        self.redis = new_async_redis()
        self.lease = ShardLease(self.redis, shard=shard, shards=shards)
        self.lease_lost = False
        self.unacknowledged = False  # an acknowledgement failed: what this consumer read is read again
        self.next_sweep = 0.0
        self.lags: list[float] = []
        self.traded: set[str] = set()  # symbols with trades not folded into candles yet
        self.publishing: asyncio.Task | None = None  # the last committed batch, being published
        self.candles_due = 0.0
        # db_ms / publish_ms: time spent settling batches / publishing them, in total (for the benchmark).
        self.stats = {"batches": 0, "commands": 0, "events": 0, "last_batch_size": 0, "errors": 0,
                      "db_ms": 0.0, "publish_ms": 0.0}
        # One thread owns the engine and the database connection.
        self.in_db_thread = sync_to_async(thread_sensitive=True)
        label = f"{shard}/{shards}"
        self.metrics = {name: family.labels(label) for name, family in (
            ("lag", metrics.ENGINE_LAG), ("size", metrics.ENGINE_BATCH_COMMANDS), ("settle", metrics.ENGINE_BATCH_SETTLE),
            ("publish", metrics.ENGINE_BATCH_PUBLISH), ("failures", metrics.ENGINE_BATCH_FAILURES),
            ("malformed", metrics.ENGINE_MALFORMED))}
        self.commands_by_kind = {kind: metrics.ENGINE_COMMANDS.labels(label, str(kind)) for kind in CommandKind}

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        await self._wait_for_redis()
        if not await self.lease.acquire(self.stopping, in_db_thread=self.in_db_thread):
            return
        self.core.epoch = self.lease.epoch
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        await self.in_db_thread(self.core.recover)()
        self._freeze_heap()
        heartbeat = asyncio.create_task(self._heartbeat())
        log.info("engine started", shard=self.shard, shards=self.shards, symbols=list(self.core.specs))
        # First what this consumer read but never acknowledged, then orders that never got here.
        await self._drain_pending()
        stale = await self.in_db_thread(self.core.stale_accepted_commands)()
        if stale:
            await self._process([(None, c) for c in stale])
        next_sync = 0.0
        while not self.stopping.is_set():
            if time.monotonic() >= next_sync:
                # The database is the record of halts: apply any the bus did not deliver.
                next_sync = time.monotonic() + 2
                try:
                    drift = await self.in_db_thread(self.core.status_commands)()
                except Exception as error:
                    if outage_code(error) != DATABASE_UNAVAILABLE:
                        raise
                    outage_logged(log, error, what="halts not synchronised")
                    await self.in_db_thread(connection.close)()  # the next call connects afresh
                    drift = []
                if drift:
                    await self._process([(None, c) for c in drift])
            if self.unacknowledged:
                try:
                    # Read again (commands are idempotent by order id), then acknowledged.
                    self.unacknowledged = False
                    await self._drain_pending()
                    await self._trim_delivered()
                except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                    self.unacknowledged = True
                    outage_logged(log, error, what="pending commands not read")
                    await self._sleep(1)
                    continue
            block = 500
            if self.traded:
                wait = self.candles_due - time.monotonic()
                if wait <= 0:
                    symbols, self.traded = sorted(self.traded), set()
                    self.candles_due = time.monotonic() + CANDLE_PERIOD
                    await self._publish_candles(symbols)
                    continue
                block = max(1, min(block, int(wait * 1000)))
            try:
                entries = await self.redis.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=BATCH_SIZE,
                                                      block=block)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                if not outage_logged(log, error, what="commands not read; retrying"):
                    log.warning("commands not read; retrying", error=repr(error)[:200])
                self.unacknowledged = True  # Redis may come back from its append-only file: look again
                await self._sleep(1)
                continue
            if entries:
                await self._process(self._decode(await self._linger(entries[0][1])))
        if self.publishing is not None:
            await self.publishing
        heartbeat.cancel()
        try:
            await self.redis.delete(heartbeat_key(self.shard, self.shards))
            if not self.lease_lost:
                await self.lease.release()
        except (redis.ConnectionError, OSError):
            pass  # Redis may stop first under the supervisor; the key and the lease expire anyway
        log.info("engine stopped", shard=self.shard)

    async def _linger(self, entries: list) -> list:
        """`entries`, and what arrives within ENGINE_LINGER_MS when they are few."""
        if len(entries) >= LINGER_BELOW or settings.ENGINE_LINGER_MS <= 0:
            return entries
        await asyncio.sleep(settings.ENGINE_LINGER_MS / 1000)
        try:
            more = await self.redis.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=BATCH_SIZE - len(entries))
        except (redis.ConnectionError, OSError):
            return entries  # what was read is pending under this consumer: it is processed now
        return entries + more[0][1] if more else entries

    @staticmethod
    def _freeze_heap() -> None:
        """Move what exists now (Django, the models, the rebuilt books) out of the garbage
        collector's reach: a full collection over it paused the loop for about 60 ms every few
        seconds, the largest part of the lag's p99. Objects made later are still collected."""
        gc.collect()
        gc.freeze()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except TimeoutError:
            pass

    async def _wait_for_redis(self) -> None:
        while not self.stopping.is_set():
            try:
                await self.redis.ping()
                return
            except (redis.ConnectionError, OSError):
                await asyncio.sleep(0.5)

    async def _drain_pending(self) -> None:
        while True:
            entries = await self.redis.xreadgroup(GROUP, self.consumer, {self.stream: "0"}, count=BATCH_SIZE)
            pending = entries[0][1] if entries else []
            if not pending:
                return
            await self._process(self._decode(pending))

    async def _trim_delivered(self) -> None:
        """Delete what the group has delivered and nothing waits for any more: after a restart of
        Redis from its append-only file, an acknowledgement can be back without its XDEL, and such
        an entry would count as waiting for admission control (orders.services.admission)."""
        for group in await self.redis.xinfo_groups(self.stream):
            name = group["name"].decode() if isinstance(group["name"], bytes) else group["name"]
            if name == GROUP and not group["pending"]:
                last = group["last-delivered-id"]
                await self.redis.xtrim(self.stream, minid=last, approximate=False)  # the ids below it
                await self.redis.xdel(self.stream, last)

    def _decode(self, entries) -> list[tuple[bytes, BusCommand | None]]:
        decoded = []
        for entry_id, fields in entries:
            try:
                command = BusCommand.decode(fields[FIELD])
            except (KeyError, MalformedCommand) as error:
                # Acknowledged with the rest, so it cannot block the stream.
                log.error("malformed bus entry dropped", entry=repr(fields)[:200], error=str(error)[:200])
                self.metrics["malformed"].inc()
                command = None
            decoded.append((entry_id, command))
        return decoded

    async def _process(self, entries: list[tuple[bytes | None, BusCommand | None]]) -> None:
        commands = [c for _, c in entries if c is not None]
        started = time.perf_counter()
        try:
            results = [await self._settle_through_outages(commands)]
            settled = time.perf_counter() - started
            self.stats["db_ms"] += settled * 1000
            self.metrics["settle"].observe(settled)
        except LeaseLost as lost:
            # Another process owns the shard now: write nothing more, acknowledge nothing (it will).
            self._lose_lease(str(lost))
            return
        except _Stopped:
            return  # stopped while the database was away: nothing acknowledged, the next engine reads it
        except Exception:
            # The batch rolled back but the engine ran it: rebuild from the database, then
            # go one command at a time so one bad command cannot block the rest.
            log.exception("batch failed; recovering and retrying one by one")
            self.stats["errors"] += 1
            self.metrics["failures"].inc()
            if self.publishing is not None:
                await self.publishing  # it reads the codecs that the recovery replaces
            await self.in_db_thread(self.core.recover)()
            results = []
            for command in commands:
                try:
                    results.append(await self.in_db_thread(self.core.handle_batch)([command]))
                except Exception:
                    log.exception("command failed and was dropped", command=str(command))
                    self.stats["errors"] += 1
                    await self.in_db_thread(self.core.recover)()
            gc.unfreeze()  # let the books the recovery replaced be collected, then freeze the new ones
            self._freeze_heap()
        ids = [entry_id for entry_id, _ in entries if entry_id is not None]
        if ids:
            try:
                async with self.redis.pipeline(transaction=False) as pipe:  # one round trip
                    pipe.xack(self.stream, GROUP, *ids)
                    pipe.xdel(self.stream, *ids)
                    await pipe.execute()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                # Committed but not acknowledged: they stay pending under this consumer and are
                # read again once Redis is back (a command applied twice is a no-op).
                outage_logged(log, error, what="commands not acknowledged")
                self.unacknowledged = True
        self.metrics["size"].observe(len(commands))
        for command in commands:
            self.commands_by_kind[command.kind].inc()
        for result in results:
            self.lags.extend(result.lags)
            for lag in result.lags:
                self.metrics["lag"].observe(lag)
            self.stats["events"] += len(result.events)
            self.traded.update(e.symbol for e in result.events if isinstance(e, (Trade, MidpointTrade)))
        # Batch N is published while batch N+1 settles in the database thread: the publications
        # stay in batch order (each waits for the one before) and at most one is in flight.
        if self.publishing is not None:
            await self.publishing
        self.publishing = asyncio.create_task(self._publish(results))
        self.stats["batches"] += 1
        self.stats["commands"] += len(commands)
        self.stats["last_batch_size"] = len(commands)
        self.stats["last_batch_ms"] = round((time.perf_counter() - started) * 1000, 3)

    async def _settle_through_outages(self, commands: list[BusCommand]) -> BatchResult:
        """handle_batch; while the database is away (its connection lost, the server restarting),
        said once per interval and tried again each second, the books rebuilt from the database
        first (the rolled-back batch had changed them). _Stopped if asked to stop meanwhile."""
        while True:
            try:
                return await self.in_db_thread(self.core.handle_batch)(commands)
            except Exception as error:
                if outage_code(error) != DATABASE_UNAVAILABLE:
                    raise
                outage_logged(log, error, what="batch not settled; retrying")
            while True:
                await self._sleep(1)
                if self.stopping.is_set():
                    raise _Stopped()
                try:
                    await self.in_db_thread(self._reconnect_and_recover)()
                    break
                except Exception as error:
                    if outage_code(error) != DATABASE_UNAVAILABLE:
                        raise
                    outage_logged(log, error, what="books not rebuilt; retrying")

    def _reconnect_and_recover(self) -> None:
        connection.close()  # a connection the server dropped is not reused
        self.core.recover()
        log.info("database back; books rebuilt", shard=self.shard)

    async def _publish(self, results: list[BatchResult]) -> None:
        started = time.perf_counter()
        for result in results:
            await self.publisher.publish_batch(result)
        published = time.perf_counter() - started
        self.stats["publish_ms"] += published * 1000
        self.metrics["publish"].observe(published)

    async def _publish_candles(self, symbols: list[str]) -> None:
        """Fold the committed trades of `symbols` into their candles, then publish what changed."""
        try:
            changed = await self.in_db_thread(self.candles.fold)(symbols)
        except Exception as error:
            if not outage_logged(log, error, what="candles not folded"):
                log.warning("candles not folded", exc_info=True)
            return
        if changed:
            await self.publisher.publish_candles(changed)

    def _lose_lease(self, why: str) -> None:
        if not self.lease_lost:
            log.error("engine lease lost; stopping", shard=self.shard, shards=self.shards, reason=why)
        self.lease_lost = True
        self.stopping.set()

    async def _heartbeat(self) -> None:
        while True:
            try:
                if not await self.lease.renew():
                    self._lose_lease("the lease expired or another process took it")
                    return
                if self.shard == 0 and time.monotonic() >= self.next_sweep:
                    self.next_sweep = time.monotonic() + 10
                    await self.lease.move_queued_commands()
            except (redis.ConnectionError, OSError):
                pass  # the lease expires if Redis stays away; the renew after it finds out
            self.lags = self.lags[-2000:]  # the latest, in arrival order
            lags = sorted(self.lags)
            stats = dict(self.stats, pid=os.getpid(), ts=time.time(), db_ms=round(self.stats["db_ms"], 1),
                         publish_ms=round(self.stats["publish_ms"], 1))
            if lags:
                stats["lag_p50_ms"] = round(lags[len(lags) // 2] * 1000, 3)
                stats["lag_p99_ms"] = round(lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000, 3)
            try:
                stats["stream_length"] = await self.redis.xlen(self.stream)
                await self.redis.set(heartbeat_key(self.shard, self.shards), str(time.time()), ex=10)
                await self.redis.set(stats_key(self.shard, self.shards), json.dumps(stats))
            except (redis.ConnectionError, OSError):
                pass
            await asyncio.sleep(1)
