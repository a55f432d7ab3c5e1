"""Replay feed: ticks from a CSV file, paced by their timestamps at a chosen speed.

The file has a header row naming its columns: `ts` and `symbol` are required, then `price`
and/or `bid` and `ask` (`bid_size`, `ask_size` optional); see marketdata/data/sample_ticks.csv.
`speed` 2.0 plays twice as fast as recorded, 0 as fast as possible. With `loop` the file
starts over at its end (the default, so `make run` never runs dry); without it the feed
finishes. Ticks carry the wall-clock time they are replayed at unless `restamp` is off.
A row that does not parse is counted and skipped; a missing or unreadable file is a dropped
source, retried with backoff.
"""

import asyncio
import csv
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from marketdata.feeds.base import Feed
from marketdata.feeds.ticks import FIELDS, MalformedTick, make_tick


class ReplayFeed(Feed):
    kind = "replay"

    def __init__(self, *, path: str | Path, speed: float = 1.0, loop: bool = True, restamp: bool = True, **kwargs):
        super().__init__(**kwargs)
        if speed < 0:
            raise ValueError("speed must be >= 0 (0: as fast as possible)")
        self.path, self.speed, self.loop, self.restamp = Path(path), speed, loop, restamp
        self.passes = 0

    async def session(self) -> bool:
        while True:
            if not await self._play_once():
                # Nothing playable: without this an empty file would spin the loop.
                raise MalformedTick(f"{self.path} has no valid tick rows")
            self.passes += 1
            if not self.loop:
                return True

    async def _play_once(self) -> int:
        """Play the file once; return how many ticks it emitted."""
        with open(self.path, newline="", encoding="utf-8", errors="replace") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in (reader.fieldnames or [])]
            if "symbol" not in header or "ts" not in header:
                raise MalformedTick(f"{self.path} needs a header row with ts and symbol columns")
            reader.fieldnames = header
            clock = asyncio.get_running_loop()
            start_wall = clock.time()
            first_ts = None
            emitted = 0
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return emitted
                except csv.Error as error:
                    self.stats.messages += 1
                    self.malformed(f"line {reader.line_num}", error)
                    continue
                self.stats.messages += 1
                try:
                    if not row.get("ts"):
                        raise MalformedTick("missing ts")
                    tick = make_tick(source=self.name, **{k: row.get(k) for k in FIELDS})
                except MalformedTick as error:
                    self.malformed(row, error)
                    continue
                if self.speed:
                    if first_ts is None:
                        first_ts = tick.ts
                    due = start_wall + (tick.ts - first_ts).total_seconds() / self.speed
                    delay = due - clock.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                else:
                    await asyncio.sleep(0)  # let the rest of the process run between rows
                self.emit(replace(tick, ts=datetime.now(UTC)) if self.restamp else tick)
                emitted += 1
