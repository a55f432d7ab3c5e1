"""A live venue for alpaca-py: a real engine, the ASGI app under uvicorn in a subprocess, Redis and
the test database; traders with API keys as `manage.py create_api_key` makes them."""

import asyncio
import sys
import threading
import warnings
from contextlib import contextmanager

import pytest

from orders.services.api_keys import api_key_create
from tests.factories import make_instrument, make_trader
from tests.processes import free_port, http_ok, running, venv_bin, wait_for

warnings.filterwarnings("ignore", message="websockets.legacy is deprecated", category=DeprecationWarning)


@pytest.fixture
def venue(transactional_db):
    with serving() as address:
        yield address


@contextmanager
def serving(**env: str):
    port = free_port()
    argv = [venv_bin("uvicorn"), "tradeapp.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            "--lifespan", "off", "--no-access-log", "--ws-per-message-deflate", "false"]
    with running(argv, log_name="alpaca-uvicorn", **env) as process:
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}/healthz") or process.poll() is not None, 30, "web server")
        assert process.poll() is None, process.log_path.read_text()[-2000:]
        yield f"127.0.0.1:{port}"


class Keys:
    def __init__(self, account, scopes=("read", "trade")):
        key, secret = api_key_create(user=account.user, scopes=list(scopes), label="bot")
        self.account, self.key_id, self.secret = account, key.key_id, secret

    def headers(self) -> dict:
        return {"APCA-API-KEY-ID": self.key_id, "APCA-API-SECRET-KEY": self.secret}


@pytest.fixture
def traders(transactional_db):
    aapl = make_instrument("AAPL")
    make_instrument("MSFT", reference="200.00")
    buyer = make_trader("buyer", cash="100000.00")
    seller = make_trader("seller", cash="10000.00", positions={aapl: "100"})
    return {"buyer": Keys(buyer), "seller": Keys(seller), "reader": Keys(buyer, scopes=("read",))}


class StreamThread:
    """Runs an alpaca-py stream's own `run()` in a thread, as a bot does, collecting what its
    handlers receive."""

    def __init__(self, stream, subscribe):
        self.stream, self.received = stream, []

        async def handler(item):
            self.received.append(item)

        subscribe(stream, handler)
        self.thread = threading.Thread(target=stream.run, daemon=True)
        self.thread.start()

    def wait(self, predicate, what: str, timeout: float = 30):
        wait_for(lambda: any(predicate(item) for item in list(self.received)), timeout, what)
        return next(item for item in list(self.received) if predicate(item))

    def stop(self):
        if self.stream._loop is not None and self.stream._loop.is_running():
            asyncio.run_coroutine_threadsafe(self.stream.stop_ws(), self.stream._loop).result(10)
        self.thread.join(15)


__all__ = ["Keys", "StreamThread", "sys"]
