"""One place that knows how to reach Redis (engine bus, reference prices, health)."""

from functools import lru_cache

import redis
import redis.asyncio
from django.conf import settings


@lru_cache(maxsize=1)
def get_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2)


def new_async_redis() -> redis.asyncio.Redis:
    # Not cached: an asyncio client belongs to the event loop that made it.
    return redis.asyncio.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
