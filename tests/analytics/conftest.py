import signal
import sys

import pytest

from common.redis import get_redis
from realtime.channels import engine_stream_key
from tests.processes import running, stop


class Analytics:
    """A real `manage.py run_analytics` process against the test database and Redis."""

    def __init__(self, *args: str):
        self.args = list(args)
        self._context = None
        self.process = None

    def start(self) -> None:
        self._context = running([sys.executable, "manage.py", "run_analytics", *self.args], log_name="analytics")
        self.process = self._context.__enter__()

    def stop(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None

    def kill(self) -> None:
        stop(self.process, sig=signal.SIGKILL)
        self._context = None

    def log(self) -> str:
        return self.process.log_path.read_text()


def clean_redis() -> None:
    redis = get_redis()
    redis.delete(engine_stream_key())
    for pattern in ("md:analytics:*", "analytics:*"):
        for key in redis.scan_iter(pattern):
            redis.delete(key)


@pytest.fixture
def analytics_process(transactional_db):
    clean_redis()
    made = []

    def make(*args: str) -> Analytics:
        process = Analytics(*args)
        made.append(process)
        return process

    yield make
    for process in made:
        process.stop()
