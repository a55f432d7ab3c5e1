"""The engine's command bus: one Redis Stream per engine shard, read by a consumer group.

A command stays pending until the engine acknowledges it, so a crash never loses one.
Commands name orders by id; the engine reads the order itself from the database.
"""

import json
import logging
import zlib

from django.conf import settings
from django.db import transaction

from tradeapp.redis import get_redis

GROUP = "engine"


def shard_for(symbol: str, shards: int | None = None) -> int:
    shards = shards or settings.ENGINE_SHARDS
    return zlib.crc32(symbol.encode()) % shards


def stream_for_shard(shard: int, shards: int | None = None) -> str:
    return f"engine:{shards or settings.ENGINE_SHARDS}:{shard}:commands"


def heartbeat_key(shard: int, shards: int) -> str:
    """Set by the shard's engine every second with a 10 s expiry; /readyz checks it."""
    return f"engine:{shards}:{shard}:heartbeat"


def stats_key(shard: int, shards: int) -> str:
    """The shard's engine's counters and lag (JSON), for /metrics."""
    return f"engine:{shards}:{shard}:stats"


def bus_publish(*, symbol: str, command: dict) -> None:
    get_redis().xadd(stream_for_shard(shard_for(symbol)), {"c": json.dumps({**command, "symbol": symbol})})


def bus_publish_many(*, commands: list[tuple[str, dict]]) -> None:
    """(symbol, command) pairs appended in order, in one pipelined round trip."""
    pipe = get_redis().pipeline(transaction=False)
    for symbol, command in commands:
        pipe.xadd(stream_for_shard(shard_for(symbol)), {"c": json.dumps({**command, "symbol": symbol})})
    pipe.execute()


def bus_publish_many_on_commit(*, commands: list[tuple[str, dict]]) -> None:
    """bus_publish_many after the transaction commits (see bus_publish_on_commit)."""
    if not commands:
        return

    def send() -> None:
        try:
            bus_publish_many(commands=commands)
        except Exception:  # the periodic resubmit is the safety net; never fail the request
            logging.getLogger(__name__).warning("bus publish failed", exc_info=True)

    transaction.on_commit(send)


def bus_publish_on_commit(*, symbol: str, command: dict) -> None:
    """Send after the transaction commits: the engine must find the rows it is told about.

    If Redis is down at that moment the order stays `accepted` and the resubmit task sends it.
    """

    def send() -> None:
        try:
            bus_publish(symbol=symbol, command=command)
        except Exception:  # the periodic resubmit is the safety net; never fail the request
            logging.getLogger(__name__).warning("bus publish failed", exc_info=True)

    transaction.on_commit(send)
