"""The ops checks stage: engine lag over OPS_ENGINE_LAG_MS (each batch carries its largest lag)
and feeds gone stale (a symbol's reference price older than OPS_FEED_STALE_SECONDS, checked every
few seconds). Each becomes an ops alert (analytics.services.ops_alert_raise, which keeps one per
kind and subject per cooldown)."""

import json
import time

from django.conf import settings

from analytics.figures import epoch_of
from analytics.pipeline import BaseProcessor, Context, Output
from analytics.services.ops import ops_alert_raise
from marketdata.feeds.reference import reference_key
from marketdata.models import Instrument
from realtime.messages import EngineBatch

FEED_CHECK_SECONDS = 5.0


def _symbols() -> list[str]:
    return list(Instrument.objects.values_list("symbol", flat=True))


class OpsMonitor(BaseProcessor):
    name = "ops"

    def __init__(self, *, lag_ms: float | None = None, stale_seconds: float | None = None):
        self.lag_ms = settings.OPS_ENGINE_LAG_MS if lag_ms is None else lag_ms
        self.stale_seconds = settings.OPS_FEED_STALE_SECONDS if stale_seconds is None else stale_seconds
        self.worst: float | None = None
        self.symbols: list[str] = []
        self.next_check = 0.0

    def restore(self) -> None:
        self.worst = None
        self.symbols = _symbols()

    def on_batch(self, entry_id: str, batch: EngineBatch, out: Output) -> None:
        if self.lag_ms and batch.lag_ms is not None and batch.lag_ms > self.lag_ms:
            self.worst = max(self.worst or 0.0, batch.lag_ms)

    def flush(self, out: Output) -> None:
        if self.worst is not None:
            detail = f"Engine lag {self.worst:.0f} ms, over the {self.lag_ms:.0f} ms bound."
            self.worst = None
            out.db.append(lambda: ops_alert_raise(kind="engine_lag", detail=detail))

    async def tick(self, ctx: Context, out: Output) -> None:
        if not self.stale_seconds or time.monotonic() < self.next_check:
            return
        self.next_check = time.monotonic() + FEED_CHECK_SECONDS
        self.symbols = await ctx.db(_symbols)
        if not self.symbols:
            return
        now = time.time()
        for symbol, raw in zip(self.symbols, await ctx.redis.mget([reference_key(s) for s in self.symbols])):
            if not raw:
                continue  # no feed ever priced it: nothing went stale
            try:
                age = now - epoch_of(json.loads(raw)["ts"])
            except (ValueError, KeyError, TypeError):
                continue
            if age > self.stale_seconds:
                detail = f"No reference price for {symbol} in {age:.0f} s (bound {self.stale_seconds:.0f} s)."
                out.db.append(lambda symbol=symbol, detail=detail:
                              ops_alert_raise(kind="feed_stale", subject=symbol, detail=detail))
