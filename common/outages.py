"""A dependency that went away (Redis, the database): how to tell it from a bug, and how to say
it once per interval instead of once per failed call.

Each protocol answers an outage in one place: REST/pages 503 `{"detail", "code"}` with
Retry-After (orders.api.errors for DRF, tradeapp.middleware for the rest); the long-running
processes (engine, feed, bots) log it through `outage_logged` and retry.
"""

import time

import kombu.exceptions
import redis.exceptions
from django.db import utils as db_utils

REDIS_UNAVAILABLE = "redis_unavailable"
DATABASE_UNAVAILABLE = "database_unavailable"
RETRY_AFTER_SECONDS = 2
# Seconds between two log lines about the same outage in one process.
LOG_INTERVAL = 10.0

DETAILS = {
    REDIS_UNAVAILABLE: "Redis is unavailable; retry shortly.",
    DATABASE_UNAVAILABLE: "The database is unavailable; retry shortly.",
}

_REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, kombu.exceptions.OperationalError)
# OperationalError: the server went away, refused the connection or restarts; InterfaceError:
# a connection it closed under us.
_DATABASE_ERRORS = (db_utils.OperationalError, db_utils.InterfaceError)


def outage_code(error: BaseException) -> str | None:
    """REDIS_UNAVAILABLE / DATABASE_UNAVAILABLE when `error` means that dependency is away, else None."""
    if isinstance(error, _REDIS_ERRORS):
        return REDIS_UNAVAILABLE
    if isinstance(error, _DATABASE_ERRORS):
        return DATABASE_UNAVAILABLE
    return None


_last_logged: dict[tuple[int, str], float] = {}
_suppressed: dict[tuple[int, str], int] = {}


def outage_logged(log, error: BaseException, **fields) -> bool:
    """When `error` is an outage: log it on `log` (a warning, no traceback) unless this process
    said so less than LOG_INTERVAL ago, and return True. False (nothing logged) for any other
    error: the caller logs that as it would."""
    code = outage_code(error)
    if code is None:
        return False
    key = (id(log), code)
    now = time.monotonic()
    if now - _last_logged.get(key, float("-inf")) < LOG_INTERVAL:
        _suppressed[key] = _suppressed.get(key, 0) + 1
        return True
    _last_logged[key] = now
    log.warning(code.replace("_", " "), error=f"{type(error).__name__}: {error}"[:300],
                failures_since_last_log=_suppressed.pop(key, 0), **fields)
    return True
