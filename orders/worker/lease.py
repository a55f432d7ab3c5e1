"""One engine process per shard, at any time.

- Lease: `engine:{n}:{i}:lease` in Redis holds the owner's id (`host:pid:tag`) with a LEASE_SECONDS expiry, renewed
  with every heartbeat (only by its holder: a Lua check-and-extend; a holder that finds the key
  gone, after a restart of Redis, takes it again, the fence keeping that safe). A second process for the same
  shard waits, and takes over when the holder stops renewing (it died, or lost Redis).
- Fence: each acquisition takes a new epoch (INCR in Redis) and writes it into the shard's
  EngineShard row; every batch's transaction updates that row only where it still carries the
  process's epoch (`shard_fence`), so a process that lost its lease (a pause longer than the lease)
  fails its next batch instead of writing beside the new owner.
- Layout: `engine:layout` holds the shard count the engines run with. An engine started with another
  count waits until no lease of the old layout is held, switches the layout, and moves the commands
  still queued in the old layout's streams into the new ones, each to its symbol's new shard, so
  changing ENGINE_SHARDS strands nothing. An engine whose layout changed under it stops.
"""

import asyncio
import os
import socket
import uuid

from django.db import transaction
from django.utils import timezone

from common.logging import get_logger
from orders.bus import FIELD, BusCommand, MalformedCommand, shard_for, stream_for_shard
from orders.models import EngineShard

log = get_logger("orders.engine")

LEASE_SECONDS = 5
LAYOUT_KEY = "engine:layout"
MAX_SHARDS_SCANNED = 32  # old layouts looked for when moving queued commands
# Extend the lease if this process holds it; take it again if nobody does (Redis restarted without
# it, or it expired while Redis was away): safe, as a process that took the shard meanwhile holds
# the key, or raised the fence's epoch so that this process's next batch fails (LeaseLost).
RENEW = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
# Delete KEYS[1] only if it still holds ARGV[1].
DROP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
# Set KEYS[1] to ARGV[2] only if it holds ARGV[1] ("" for absent); 1 if it did.
SWITCH = """
local current = redis.call('GET', KEYS[1]) or ''
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


class LeaseLost(Exception):
    """This process no longer owns its shard: it must stop writing."""


def lease_key(shard: int, shards: int) -> str:
    return f"engine:{shards}:{shard}:lease"


def epoch_key(shard: int, shards: int) -> str:
    return f"engine:{shards}:{shard}:epoch"


def shard_fence_set(*, shard: int, shards: int, epoch: int, owner: str) -> None:
    """On acquisition: the shard's row carries the new epoch (never a lower one)."""
    with transaction.atomic():
        row, _ = EngineShard.objects.select_for_update().get_or_create(shards=shards, shard=shard)
        if epoch > row.epoch:
            EngineShard.objects.filter(pk=row.pk).update(epoch=epoch, owner=owner, acquired_at=timezone.now())


def shard_fence(*, shard: int, shards: int, epoch: int) -> None:
    """Inside a batch's transaction: raise LeaseLost unless this epoch still owns the shard. Locks the
    row until the commit, so two processes' batches can never both commit."""
    if not EngineShard.objects.filter(shards=shards, shard=shard, epoch=epoch).update(epoch=epoch):
        raise LeaseLost(f"shard {shard}/{shards}: epoch {epoch} no longer owns it")


def _dead_here(holder: str) -> bool:
    """The holder `host:pid:tag` is a process of this machine that no longer runs."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # someone's process has the pid: alive as far as we know
    return False


class ShardLease:
    def __init__(self, redis, *, shard: int, shards: int):
        self.redis, self.shard, self.shards = redis, shard, shards
        self.key = lease_key(shard, shards)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.epoch: int | None = None
        self._renew = redis.register_script(RENEW)
        self._switch = redis.register_script(SWITCH)
        self._drop = redis.register_script(DROP)

    async def acquire(self, stopping: asyncio.Event, *, in_db_thread) -> bool:
        """Wait until this process holds the lease (False if told to stop first); then the fence
        carries its epoch and the layout is its shard count."""
        waited = False
        while not stopping.is_set():
            if await self._layout_ready() and await self.redis.set(self.key, self.owner, nx=True,
                                                                   px=LEASE_SECONDS * 1000):
                self.epoch = int(await self.redis.incr(epoch_key(self.shard, self.shards)))
                await in_db_thread(shard_fence_set)(shard=self.shard, shards=self.shards, epoch=self.epoch,
                                                    owner=self.owner)
                log.info("engine lease acquired", shard=self.shard, shards=self.shards, epoch=self.epoch,
                         owner=self.owner, waited=waited)
                return True
            holder = (await self.redis.get(self.key) or b"").decode()
            if holder and _dead_here(holder) and await self._drop(keys=[self.key], args=[holder]):
                # Its holder died on this machine (killed -9 and restarted by the supervisor, say):
                # no need to wait for the lease to expire; the fence stays the guarantee.
                log.info("engine lease of a dead process dropped", shard=self.shard, shards=self.shards,
                         holder=holder)
                continue
            if not waited:
                log.info("engine lease held by another process; waiting", shard=self.shard, shards=self.shards,
                         holder=holder)
                waited = True
            try:
                await asyncio.wait_for(stopping.wait(), 1.0)
            except TimeoutError:
                pass
        return False

    async def renew(self) -> bool:
        """Extend the lease; False when it is no longer this process's (or the layout moved on)."""
        layout = await self.redis.get(LAYOUT_KEY)
        if layout is not None and int(layout) != self.shards:
            return False
        return bool(await self._renew(keys=[self.key], args=[self.owner, LEASE_SECONDS * 1000]))

    async def release(self) -> None:
        """Give the lease up at once (a clean stop), so a successor need not wait for it to expire."""
        if await self.redis.get(self.key) == self.owner.encode():
            await self.redis.delete(self.key)

    async def _layout_ready(self) -> bool:
        """The layout is this process's shard count, switching it (and moving the old layout's queued
        commands) when no engine of the old layout holds a lease any more."""
        layout = await self.redis.get(LAYOUT_KEY)
        if layout is not None and int(layout) == self.shards:
            return True
        old = int(layout) if layout is not None else None
        if old is not None and await self.redis.exists(*[lease_key(i, old) for i in range(old)]):
            return False  # engines of the old layout still run: they stop when they see the new one
        if not await self._switch(keys=[LAYOUT_KEY], args=[layout or b"", self.shards]):
            return False  # another engine switched it meanwhile: look again
        moved = await self.move_queued_commands()
        log.info("engine layout switched", shards=self.shards, previous=old, commands_moved=moved)
        return True

    async def move_queued_commands(self) -> int:
        """Every command queued in a stream of another layout (a web process still routing by an old
        ENGINE_SHARDS writes there), appended to its symbol's stream of this one (in stream order),
        then deleted from the old stream. Returns how many moved."""
        candidates = [stream_for_shard(index, count) for count in range(1, MAX_SHARDS_SCANNED + 1)
                      if count != self.shards for index in range(count)]
        pipe = self.redis.pipeline(transaction=False)
        for name in candidates:
            pipe.exists(name)
        moved = 0
        for old, present in zip(candidates, await pipe.execute()):
            while present and (entries := await self.redis.xrange(old, count=500)):
                pipe = self.redis.pipeline(transaction=False)
                for entry_id, fields in entries:
                    try:
                        command = BusCommand.decode(fields[FIELD])
                    except (KeyError, MalformedCommand):
                        log.error("malformed bus entry dropped while moving", stream=old)
                    else:
                        pipe.xadd(stream_for_shard(shard_for(command.symbol, self.shards), self.shards),
                                  {FIELD: command.encode()})
                        moved += 1
                    pipe.xdel(old, entry_id)
                await pipe.execute()
        if moved:
            log.info("queued commands moved to this layout's streams", shards=self.shards, commands=moved)
        return moved
