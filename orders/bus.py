"""The engine's command bus: one Redis Stream per engine shard, read by a consumer group.

A command stays pending until the engine acknowledges it, so a crash never loses one.
Commands name orders by id; the engine reads the order itself from the database. Every
producer (order services, ops, the resubmit task, the worker's own recovery) builds a
`BusCommand`, and the worker decodes each entry back into one (`BusCommand.decode`).
"""

import json
import zlib
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction

from common.logging import get_logger
from common.outages import outage_logged
from common.redis import get_redis

log = get_logger(__name__)

GROUP = "engine"
FIELD = b"c"  # the stream entry's one field


class CommandKind(StrEnum):
    NEW = "new"  # an accepted order: match it (or, if canceled meanwhile, close it)
    CANCEL = "cancel"  # a pending_cancel order: take it out of the book
    REPLACE = "replace"  # an order with a pending replace: apply it
    HALT = "halt"  # stop matching the symbol
    RESUME = "resume"
    EXPIRE_DAY = "expire_day"  # expire the symbol's open DAY orders


ORDER_KINDS = frozenset({CommandKind.NEW, CommandKind.CANCEL, CommandKind.REPLACE})
MAX_ORDER_ID = 2**63 - 1


class MalformedCommand(ValueError):
    """A stream entry that is not a BusCommand."""


@dataclass(frozen=True, slots=True)
class BusCommand:
    kind: CommandKind
    symbol: str
    order_id: int | None = None  # for new, cancel and replace; None for the symbol's commands

    def __post_init__(self):
        if not isinstance(self.kind, CommandKind):
            raise MalformedCommand(f"unknown kind {self.kind!r}")
        if not isinstance(self.symbol, str) or not self.symbol:
            raise MalformedCommand("symbol must be a non-empty string")
        if self.kind in ORDER_KINDS:
            if type(self.order_id) is not int or not 0 < self.order_id <= MAX_ORDER_ID:
                raise MalformedCommand(f"{self.kind} needs a positive integer order_id")
        elif self.order_id is not None:
            raise MalformedCommand(f"{self.kind} takes no order_id")

    def encode(self) -> bytes:
        body = {"kind": str(self.kind), "symbol": self.symbol}
        if self.order_id is not None:
            body["order_id"] = self.order_id
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes | str) -> "BusCommand":
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise TypeError("not an object")
            return cls(kind=CommandKind(body["kind"]), symbol=body["symbol"], order_id=body.get("order_id"))
        except MalformedCommand:
            raise
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as error:
            raise MalformedCommand(str(error)[:200]) from None


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


def bus_publish(*commands: BusCommand) -> None:
    """Append `commands` in order, each to its symbol's shard, in one pipelined round trip."""
    if not commands:
        return
    pipe = get_redis().pipeline(transaction=False)
    for command in commands:
        pipe.xadd(stream_for_shard(shard_for(command.symbol)), {FIELD: command.encode()})
    pipe.execute()


def bus_publish_on_commit(*commands: BusCommand) -> None:
    """`bus_publish` after the transaction commits: the engine must find the rows it is told about.

    If Redis is down at that moment the orders stay as they are and the resubmit task
    (orders.tasks.resubmit_accepted) sends their commands again."""
    if not commands:
        return

    def send() -> None:
        try:
            bus_publish(*commands)
        except Exception as error:  # the periodic resubmit is the safety net; never fail the request
            if not outage_logged(log, error, what="bus publish failed; the resubmit task sends them again"):
                log.warning("bus publish failed", commands=len(commands), exc_info=True)

    transaction.on_commit(send)
