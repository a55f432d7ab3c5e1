"""The analytics pipeline: an explicit list of processors that each see every engine batch in
stream order, as exchange-core's stages see every command (docs/analytics.md, "The pipeline").

`run_analytics` builds the list and hands it to the consumer (analytics.consumer); a new stage
(the risk monitor, say) is one more processor in that list. A processor

- `restore()`: rebuilds its state from the database at start and after a failed write (runs in
  the process's database thread; everything it wrote is consistent with the stream checkpoint,
  being written in the same transaction);
- `refresh(ctx)`: before each run of entries (say, reload what users changed);
- `on_batch(entry_id, batch, out)`: folds one batch, on the event loop, with no I/O;
- `flush(out)`: after a run of entries, says what to write;
- `tick(ctx, out)`: about once a second, for checks that depend on time.

What processors produce goes into an `Output`: database work (run in one transaction with the
stream checkpoint), Redis commands (one pipeline, after the commit) and work after both (emails,
in the database thread). Only then are the entries acknowledged, so a crash at any point loses
nothing and repeats nothing: entries at or before the checkpoint are skipped.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from realtime.messages import EngineBatch


@dataclass
class Output:
    db: list[Callable[[], None]] = field(default_factory=list)  # in one transaction, in order
    redis: list[Callable[[Any], None]] = field(default_factory=list)  # each adds to one Redis pipeline
    after: list[Callable[[], None]] = field(default_factory=list)  # database thread, after the commit

    def __bool__(self) -> bool:
        return bool(self.db or self.redis or self.after)


@dataclass
class Context:
    """What a processor may use outside `on_batch`: the process's Redis client and its database
    thread (`await ctx.db(fn, *args)` runs fn there)."""

    redis: Any
    db: Callable[..., Awaitable[Any]]


class Processor(Protocol):
    name: str

    def restore(self) -> None: ...

    async def refresh(self, ctx: Context) -> None: ...

    def on_batch(self, entry_id: str, batch: EngineBatch, out: Output) -> None: ...

    def flush(self, out: Output) -> None: ...

    async def tick(self, ctx: Context, out: Output) -> None: ...


class BaseProcessor:
    """No-op defaults: a processor overrides what it needs."""

    name = "processor"

    def restore(self) -> None:
        pass

    async def refresh(self, ctx: Context) -> None:
        pass

    def on_batch(self, entry_id: str, batch: EngineBatch, out: Output) -> None:
        pass

    def flush(self, out: Output) -> None:
        pass

    async def tick(self, ctx: Context, out: Output) -> None:
        pass
