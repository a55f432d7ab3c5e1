"""The shard lease on a real Redis: its holder extends it, takes it again when the key is gone
(Redis restarted without it), never takes it from another holder, and a successor takes at once
the lease of a holder that died on this machine (killed -9, restarted by the supervisor)."""

import asyncio
import os
import socket
import subprocess

import pytest

from common.redis import get_redis, new_async_redis
from orders.worker.lease import LEASE_SECONDS, ShardLease, lease_key

SHARD, SHARDS = 0, 1  # the suite's layout (the engine fixture clears this lease too)


@pytest.fixture
def key():
    get_redis().delete(lease_key(SHARD, SHARDS))
    yield lease_key(SHARD, SHARDS)
    get_redis().delete(lease_key(SHARD, SHARDS))


def lease() -> ShardLease:
    return ShardLease(new_async_redis(), shard=SHARD, shards=SHARDS)


async def test_the_holder_extends_its_lease(key):
    mine = lease()
    get_redis().set(key, mine.owner, px=1000)
    assert await mine.renew()
    assert get_redis().get(key) == mine.owner.encode()
    assert 1000 < get_redis().pttl(key) <= LEASE_SECONDS * 1000


async def test_a_holder_whose_key_is_gone_takes_it_again(key):
    mine = lease()
    assert await mine.renew()
    assert get_redis().get(key) == mine.owner.encode()
    assert 0 < get_redis().pttl(key) <= LEASE_SECONDS * 1000


async def test_a_lease_another_process_holds_is_not_renewed_nor_taken(key):
    mine = lease()
    get_redis().set(key, "another:1:abc", px=LEASE_SECONDS * 1000)
    assert not await mine.renew()
    assert get_redis().get(key) == b"another:1:abc"


async def test_the_lease_of_a_dead_process_of_this_machine_is_taken_at_once(key):
    gone = subprocess.Popen(["true"])
    gone.wait()
    get_redis().set(key, f"{socket.gethostname()}:{gone.pid}:dead", px=LEASE_SECONDS * 1000)
    mine = lease()
    assert await asyncio.wait_for(mine.acquire(asyncio.Event(), in_db_thread=_no_db), 3)
    assert get_redis().get(key) == mine.owner.encode()


async def test_the_lease_of_a_live_process_is_waited_for(key):
    get_redis().set(key, f"{socket.gethostname()}:{os.getpid()}:alive", px=LEASE_SECONDS * 1000)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(lease().acquire(asyncio.Event(), in_db_thread=_no_db), 1.5)
    assert get_redis().get(key).endswith(b":alive")


def _no_db(fn):
    async def call(**kwargs):
        return None
    return call
