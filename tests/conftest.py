import pytest


@pytest.fixture(autouse=True)
def _fresh_redis_client():
    """Settings overrides of REDIS_URL must reach the cached client."""
    from tradeapp.redis import get_redis

    get_redis.cache_clear()
    yield
    get_redis.cache_clear()
