import signal
import sys

import pytest

from common.redis import get_redis
from orders.bus import heartbeat_key, stream_for_shard
from orders.worker.lease import LAYOUT_KEY, lease_key
from tests.processes import running, stop, wait_for


@pytest.fixture(autouse=True)
def _fresh_redis_client():
    """Settings overrides of REDIS_URL must reach the cached client."""
    get_redis.cache_clear()
    yield
    get_redis.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The cache lives in Redis: throttle counters must not leak from one test to the next."""
    from django.core.cache import cache

    cache.clear()
    yield


class Engine:
    """A real `manage.py run_engine` process against the test database and Redis."""

    def __init__(self):
        self.process = None
        self._context = None

    def start(self) -> None:
        self._context = running([sys.executable, "manage.py", "run_engine"], log_name="engine")
        self.process = self._context.__enter__()
        wait_for(lambda: get_redis().exists(heartbeat_key(0, 1)) or self.process.poll() is not None, 30, "engine heartbeat")
        assert self.process.poll() is None, self.log()[-3000:]

    def stop(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None

    def kill(self) -> None:
        """SIGKILL; its heartbeat and lease are dropped as their expiry would (tests of the lease's
        expiry wait for it themselves)."""
        stop(self.process, sig=signal.SIGKILL)
        get_redis().delete(heartbeat_key(0, 1), lease_key(0, 1))
        self._context = None

    def log(self) -> str:
        return self.process.log_path.read_text()


@pytest.fixture
def engine(transactional_db):
    redis = get_redis()
    redis.delete(stream_for_shard(0, 1), heartbeat_key(0, 1), lease_key(0, 1), LAYOUT_KEY)
    for key in redis.scan_iter("md:*"):
        redis.delete(key)
    engine = Engine()
    engine.start()
    yield engine
    engine.stop()
