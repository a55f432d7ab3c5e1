"""`manage.py run_analytics`: the streaming analytics process (docs/analytics.md).

The pipeline is explicit here: `processors()` lists the stages every engine batch goes through, in
order; another stage (the risk monitor) is one more entry, given what it reads (as the alerts stage
is given the figures stage)."""

import asyncio
import signal

import uvloop
from django.core.management.base import BaseCommand

from analytics.consumer import StreamConsumer
from analytics.pipeline import Processor
from analytics.processors import AlertsProcessor, FiguresProcessor, OpsMonitor, RiskMonitor
from common.logging import get_logger
from common.redis import new_async_redis

log = get_logger("analytics")


def processors() -> list[Processor]:
    """The analytics pipeline: figures, then users' alerts (reading the figures), then ops checks, then
    the risk monitor (daily loss limits, docs/risk.md)."""
    figures = FiguresProcessor()
    return [figures, AlertsProcessor(figures=figures), OpsMonitor(), RiskMonitor()]


async def analytics_run(*, processors: list[Processor], consumer: str = "analytics-1", count: int = 1000) -> None:
    """Consume the engine stream through `processors` until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    redis = new_async_redis()
    runner = asyncio.create_task(StreamConsumer(processors=processors, redis=redis, consumer=consumer, count=count).run(stop))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait([runner, stopped], return_when=asyncio.FIRST_COMPLETED)
    runner.cancel()
    try:
        await runner
    except asyncio.CancelledError:
        pass
    await redis.aclose()
    log.info("analytics stopped")


class Command(BaseCommand):
    help = "Run the streaming analytics, users' alerts and ops checks over the engine's stream."

    def add_arguments(self, parser):
        parser.add_argument("--consumer", default="analytics-1", help="consumer name in the stream's group")
        parser.add_argument("--count", type=int, default=1000, help="most stream entries per run (one write each)")

    def handle(self, *args, consumer="analytics-1", count=1000, **options):
        uvloop.run(analytics_run(processors=processors(), consumer=consumer, count=max(1, count)))
