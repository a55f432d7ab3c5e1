"""The `run_feed` process: every configured feed as an asyncio task, one reference writer,
and a stats task. Stops cleanly on SIGINT/SIGTERM."""

import asyncio
import json
import signal
import time
from collections.abc import Iterable

from django.conf import settings

from common.logging import get_logger
from common.redis import new_async_redis
from marketdata.feeds.alpaca import AlpacaQuotesFeed
from marketdata.feeds.base import Backoff, Feed
from marketdata.feeds.reference import Publish, ReferenceWriter
from marketdata.feeds.replay import ReplayFeed
from marketdata.feeds.simulated import SimulatedFeed
from marketdata.feeds.store import instruments_from_db
from marketdata.feeds.udp import UdpFeed

log = get_logger("marketdata.feeds")

KINDS = ("simulated", "replay", "udp", "alpaca")
SHUTDOWN_STEP_SECONDS = 10


def feed_stats_key() -> str:
    """Redis key of the feed process's statistics (JSON)."""
    return "md:feeds:stats"


def build_feed(kind: str, *, emit, options: dict | None = None) -> Feed:
    """A feed of `kind` configured from settings, with `options` overriding them."""
    backoff = Backoff(**settings.FEED_BACKOFF)
    common = {"emit": emit, "backoff": backoff}
    if kind == "simulated":
        config = {**settings.FEED_SIMULATED, **(options or {})}
        return SimulatedFeed(instruments=instruments_from_db, **config, **common)
    if kind == "replay":
        return ReplayFeed(**{**settings.FEED_REPLAY, **(options or {})}, **common)
    if kind == "udp":
        return UdpFeed(**{**settings.FEED_UDP, **(options or {})}, **common)
    if kind == "alpaca":
        config = {**settings.FEED_ALPACA, **(options or {})}
        return AlpacaQuotesFeed(instruments=instruments_from_db, **config, **common)
    raise ValueError(f"unknown feed {kind!r}; choose from {', '.join(KINDS)}")


class FeedProcess:
    def __init__(self, kinds: Iterable[str], options: dict[str, dict] | None = None, *, publish: Publish | None = None):
        self.kinds = list(dict.fromkeys(kinds))
        self.options = options or {}
        self.publish = publish
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        redis = new_async_redis()
        writer = ReferenceWriter(instruments=instruments_from_db, redis=redis,
                                 publish_interval=settings.REFERENCE_PUBLISH_INTERVAL,
                                 db_interval=settings.REFERENCE_DB_INTERVAL, publish=self.publish)
        feeds = [build_feed(kind, emit=writer.offer, options=self.options.get(kind)) for kind in self.kinds]
        writer_task = asyncio.create_task(writer.run(), name="reference-writer")
        feed_tasks = [asyncio.create_task(feed.run(), name=f"feed-{feed.name}") for feed in feeds]
        stats_task = asyncio.create_task(self._report(feeds, writer, redis), name="feed-stats")
        log.info("feeds started", feeds=self.kinds)
        stop_wait = asyncio.create_task(self.stopping.wait())
        everything_done = asyncio.gather(*feed_tasks, return_exceptions=True)
        await asyncio.wait([stop_wait, everything_done], return_when=asyncio.FIRST_COMPLETED)
        log.info("feeds stopping", signal=self.stopping.is_set())
        # Each step is bounded: a task blocked in the database thread cannot be cancelled until its
        # call returns, and shutdown must not wait on it for ever (it is logged instead).
        for task in feed_tasks:
            task.cancel()
        await self._settle(feed_tasks, "feed")
        for task in (writer_task, stats_task, stop_wait):
            task.cancel()
        await self._settle([writer_task, stats_task, stop_wait], "writer")
        drained = await self._settle([asyncio.create_task(writer.drain(), name="reference-drain")], "drain")
        if not drained:
            log.warning("last reference prices not stored")
        await self._write_stats(feeds, writer, redis)
        await redis.aclose()
        log.info("feeds stopped", **{feed.name: feed.stats.as_dict() for feed in feeds})

    @staticmethod
    async def _settle(tasks: list[asyncio.Task], step: str, timeout: float = SHUTDOWN_STEP_SECONDS) -> bool:
        """Wait up to `timeout` for `tasks` to end; log those that did not, or that failed."""
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.warning("task failed while stopping", task=task.get_name(), error=repr(task.exception())[:200])
        if pending:
            log.warning("tasks still running at shutdown", step=step, tasks=sorted(t.get_name() for t in pending))
        return not pending

    async def _report(self, feeds: list[Feed], writer: ReferenceWriter, redis) -> None:
        while True:
            await asyncio.sleep(2)
            await self._write_stats(feeds, writer, redis)

    @staticmethod
    async def _write_stats(feeds: list[Feed], writer: ReferenceWriter, redis) -> None:
        payload = {"ts": time.time(), "writer": writer.stats, "feeds": {f.name: f.stats.as_dict() for f in feeds}}
        try:
            await redis.set(feed_stats_key(), json.dumps(payload), ex=60)
        except Exception as error:  # best effort: never a reason to stop
            log.info("feed stats not stored", error=repr(error)[:200])
