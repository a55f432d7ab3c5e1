"""Admission control: the venue does not acknowledge orders it cannot match in time.

An engine shard's lag is the age of the oldest command still in its stream (the engine deletes each
command once it has settled it, and a stream entry's id is its arrival time in milliseconds). While
a shard's lag passes ENGINE_MAX_LAG_MS, new orders for its symbols are refused with 429
`engine_busy` and Retry-After, before any database work; cancels are always taken. Each web process
reads each shard's lag at most once per ADMISSION_CHECK_SECONDS (one Redis call), so the check costs
nothing per order. Without Redis the check passes: the order path itself then reports the outage.
"""

import math
import time

from django.conf import settings
from redis.exceptions import RedisError

from common.errors import ServiceError
from common.logging import get_logger
from common.outages import outage_logged
from common.redis import get_redis
from orders.bus import shard_for, stream_for_shard

log = get_logger(__name__)

# shard -> (monotonic time read, lag in seconds)
_lags: dict[int, tuple[float, float]] = {}


def shard_lag(*, shard: int) -> float:
    """Seconds the oldest waiting command of the shard has waited (0 when none waits)."""
    now = time.monotonic()
    cached = _lags.get(shard)
    if cached is not None and now - cached[0] < settings.ADMISSION_CHECK_SECONDS:
        return cached[1]
    oldest = get_redis().xrange(stream_for_shard(shard), count=1)
    lag = 0.0
    if oldest:
        arrived_ms = int(oldest[0][0].split(b"-")[0])
        lag = max(0.0, time.time() - arrived_ms / 1000)
    _lags[shard] = (now, lag)
    return lag


def admission_check(*, symbols) -> None:
    """Raise 429 `engine_busy` when the engine shard of any of `symbols` is behind its bound."""
    bound = settings.ENGINE_MAX_LAG_MS / 1000
    if bound <= 0:
        return
    try:
        for shard in sorted({shard_for(symbol) for symbol in symbols}):
            lag = shard_lag(shard=shard)
            if lag > bound:
                raise ServiceError("engine_busy", f"The matching engine is {lag:.1f} s behind; retry shortly.",
                                   kind="throttled", retry_after=max(1, math.ceil(lag - bound)))
    except RedisError as error:
        if not outage_logged(log, error, what="admission not checked"):
            log.warning("admission not checked: Redis unavailable")


def admission_reset() -> None:
    """Forget the cached lags (tests; a process that just restarted the engine)."""
    _lags.clear()
