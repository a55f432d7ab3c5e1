"""Readiness checks: each returns None when healthy or a short reason when not."""

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from prometheus_client.core import GaugeMetricFamily

from common.redis import get_redis
from orders.bus import heartbeat_key


def health_check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready", never a 500
        return f"{type(exc).__name__}: {exc}"
    return None


def health_check_redis() -> str | None:
    try:
        get_redis().ping()
    except (redis.RedisError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def health_check_engine() -> str | None:
    shards = settings.ENGINE_SHARDS
    try:
        alive = get_redis().exists(*[heartbeat_key(i, shards) for i in range(shards)])
    except (redis.RedisError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if alive != shards:
        return f"{shards - alive} of {shards} engine shard(s) sent no heartbeat in the last 10 s"
    return None


def engine_heartbeat_ages() -> list[GaugeMetricFamily]:
    """Seconds since each engine shard's last heartbeat (for /metrics; absent: no heartbeat in 10 s)."""
    shards = settings.ENGINE_SHARDS
    family = GaugeMetricFamily("venue_engine_heartbeat_age_seconds", "Seconds since the shard's last heartbeat.",
                               labels=["shard"])
    try:
        beats = get_redis().mget([heartbeat_key(i, shards) for i in range(shards)])
    except (redis.RedisError, OSError):
        return [family]
    now = time.time()
    for shard, beat in enumerate(beats):
        if beat is not None:
            family.add_metric([f"{shard}/{shards}"], max(0.0, now - float(beat)))
    return [family]


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": health_check_database,
    "redis": health_check_redis,
    "engine": health_check_engine,
}


def health_report() -> dict:
    """{"status": "ok"|"fail", "checks": {name: {"status", "error"?}}}."""
    checks = {}
    for name, check in CHECKS.items():
        error = check()
        checks[name] = {"status": "ok"} if error is None else {"status": "fail", "error": error}
    ok = all(c["status"] == "ok" for c in checks.values())
    return {"status": "ok" if ok else "fail", "checks": checks}
