"""After a batch commits: in one Redis pipeline, each changed symbol's book snapshot and quote
(served by REST, read by the web processes' hubs) and one pub/sub message per symbol (book delta
or snapshot, quote, trades); then, in a second, one message per account (its order updates).
Candles are folded and published on the worker's timer (`publish_candles`). Nothing here may
stop the engine: failures are logged, and the book's sequence scheme lets every reader detect
what it missed (docs/realtime.md).

Book sequence: each symbol has its own counter in Redis (`book_seq_key`), incremented by one
for each batch that changed the symbol's levels, in one Lua script with storing the snapshot
and publishing the delta, so the snapshot REST serves and the stream's `book_snapshot` and
`book_delta` messages share one `seq`, and a restarted engine continues from the counter.
"""

import json
import logging
from collections import defaultdict
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from asgiref.sync import sync_to_async

from marketdata.groups import MD_UPDATE, ORDER_UPDATES, account_channel, book_key, book_seq_key, quote_key, symbol_channel
from orders.api.formatting import format_decimal, places_of
from orders.engine import events as ev

log = logging.getLogger("orders.engine")

# Levels per side kept in the Redis snapshot (REST serves up to this depth).
BOOK_DEPTH = 1000

# INCR the book sequence, store the snapshot under it and publish the message carrying it.
# KEYS: sequence counter, snapshot. ARGV: the snapshot JSON after its "seq" member; the
# channel; the message JSON before and after its book's seq.
BOOK_SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], '{"seq":' .. seq .. ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3] .. seq .. ARGV[4])
return seq
"""


def dumps(payload) -> str:
    return json.dumps(payload, separators=(",", ":"))


def utc_iso(ts: datetime | None = None) -> str:
    return (ts or datetime.now(UTC)).isoformat().replace("+00:00", "Z")


class Grid:
    """Ticks and lots of one instrument as the API writes them (its tick and lot decimals)."""

    def __init__(self, codec):
        self.codec = codec
        self.price_places = places_of(codec.spec.tick_size)
        self.qty_places = places_of(codec.spec.lot_size)
        self._prices: dict[int, str] = {}
        self._qtys: dict[int, str] = {}

    def price(self, ticks: int | None) -> str | None:
        if ticks is None:
            return None
        text = self._prices.get(ticks)
        if text is None:
            if len(self._prices) > 50_000:
                self._prices.clear()
            text = self._prices[ticks] = format_decimal(self.codec.price(ticks), self.price_places)
        return text

    def qty(self, lots: int) -> str:
        text = self._qtys.get(lots)
        if text is None:
            if len(self._qtys) > 50_000:
                self._qtys.clear()
            text = self._qtys[lots] = format_decimal(self.codec.qty(lots), self.qty_places)
        return text

    def decimal_price(self, value) -> str | None:
        return format_decimal(value, self.price_places)

    def decimal_qty(self, value) -> str | None:
        return format_decimal(value, self.qty_places)


class Publisher:
    """What one engine core has published: which symbols' Redis snapshots are in line with its
    books (the others are published whole, as a snapshot, before any delta), the last quote of
    each symbol, and each symbol's candle watermark."""

    def __init__(self):
        self.engine = None
        self.synced: set[str] = set()
        self.quotes: dict[str, tuple] = {}
        self.grids: dict[str, Grid] = {}
        self.instruments: dict[str, object] = {}
        self.watermarks: dict[str, int] = {}

    def align(self, core) -> None:
        # A rebuilt engine (start, or recovery after a failed batch) owes a full snapshot of each symbol.
        if core.engine is not self.engine:
            self.engine = core.engine
            self.synced.clear()
            self.quotes.clear()
            self.grids.clear()

    def grid(self, core, symbol: str) -> Grid:
        grid = self.grids.get(symbol)
        if grid is None or grid.codec is not core.codecs[symbol]:
            grid = self.grids[symbol] = Grid(core.codecs[symbol])
        return grid


_publishers: "WeakKeyDictionary[object, Publisher]" = WeakKeyDictionary()


def publisher_for(core) -> Publisher:
    publisher = _publishers.get(core)
    if publisher is None:
        publisher = _publishers[core] = Publisher()
    return publisher


def _levels(grid: Grid, levels) -> list[list[str]]:
    return [[grid.price(p), grid.qty(q)] for p, q in levels]


def _quote(grid: Grid, l1) -> dict:
    return {"bid": grid.price(l1.bid), "bid_qty": grid.qty(l1.bid_qty) if l1.bid is not None else None,
            "ask": grid.price(l1.ask), "ask_qty": grid.qty(l1.ask_qty) if l1.ask is not None else None,
            "last": grid.price(l1.last)}


def _trade(grid: Grid, event, row) -> dict:
    return {"trade_id": row.pk, "price": grid.price(event.price), "qty": grid.qty(event.qty),
            "aggressor_side": str(event.aggressor_side), "ts": utc_iso(row.created_at)}


async def publish_batch(core, result, redis_client) -> None:
    """Publish one committed batch. Never raises."""
    try:
        await _publish(core, result, redis_client)
    except Exception:
        log.warning("publish failed", exc_info=True)


async def _publish(core, result, redis_client) -> None:
    pub = publisher_for(core)
    pub.align(core)
    now = utc_iso()
    by_symbol: dict[str, list] = defaultdict(list)
    for event in result.events:
        if event.symbol in result.books:
            by_symbol[event.symbol].append(event)
    rows = {u.fill["trade_seq"]: u.fill["trade"] for u in result.updates if u.fill}

    pipe = redis_client.pipeline(transaction=False)
    book_calls: list[str] = []  # symbols whose book script is in the pipeline
    for symbol in sorted(by_symbol):
        grid = pub.grid(core, symbol)
        message = {"type": MD_UPDATE, "symbol": symbol, "ts": now}
        changes: dict[tuple[str, int], int] = {}
        trades = []
        for event in by_symbol[symbol]:
            if isinstance(event, ev.BookLevel):
                changes[(str(event.side), event.price)] = event.qty
            elif isinstance(event, ev.Trade) and event.seq in rows:
                trades.append(_trade(grid, event, rows[event.seq]))
        if trades:
            message["trades"] = trades
        l1, l2 = result.books[symbol]
        quote = _quote(grid, l1)
        values = tuple(quote.values())
        if pub.quotes.get(symbol) != values:
            quote["ts"] = now
            pipe.set(quote_key(symbol), dumps(quote))
            message["quote"] = quote
            pub.quotes[symbol] = values
        reset = symbol not in pub.synced
        if reset or changes:
            bids, asks = _levels(grid, l2.bids), _levels(grid, l2.asks)
            snapshot = dumps({"bids": bids, "asks": asks, "ts": now})
            if reset:
                book, name = {"bids": bids, "asks": asks}, "snapshot"
            else:
                book = {"changes": [[side, grid.price(p), grid.qty(q)] for (side, p), q in changes.items()]}
                name = "book"
            head = dumps(message)[:-1] + f',"{name}":{{"seq":'
            tail = "," + dumps(book)[1:] + "}"
            pipe.eval(BOOK_SCRIPT, 2, book_seq_key(symbol), book_key(symbol),
                      "," + snapshot[1:], symbol_channel(symbol), head, tail)
            book_calls.append(symbol)
        elif len(message) > 3:
            pipe.publish(symbol_channel(symbol), dumps(message))
    try:
        await pipe.execute()
        pub.synced.update(book_calls)
    except Exception:
        # Perhaps nothing reached Redis: publish those books whole next time.
        log.warning("market data not published", exc_info=True)
        for symbol in book_calls:
            pub.synced.discard(symbol)
            pub.quotes.pop(symbol, None)
    if result.updates:
        pipe = redis_client.pipeline(transaction=False)
        for account_id, items in order_update_payloads(result.updates).items():
            pipe.publish(account_channel(account_id),
                         dumps({"type": ORDER_UPDATES, "account_id": account_id, "updates": items}))
        try:
            await pipe.execute()
        except Exception:
            log.warning("order updates not published", exc_info=True)


async def publish_candles(core, symbols: list[str], redis_client) -> None:
    """Fold the committed trades of `symbols` into their candles and publish the changed ones.
    The worker calls it on a timer (CANDLE_PERIOD), not after every batch: a candle is a bar of
    a minute or more, and folding cost about a quarter of the engine's CPU when it ran for every batch.
    Never raises."""
    try:
        candles = await _candles(publisher_for(core), core, symbols)
        if not candles:
            return
        now = utc_iso()
        pipe = redis_client.pipeline(transaction=False)
        for symbol, payloads in candles.items():
            pipe.publish(symbol_channel(symbol), dumps({"type": MD_UPDATE, "symbol": symbol, "ts": now, "candles": payloads}))
        await pipe.execute()
    except Exception:
        log.warning("candles not published", exc_info=True)


def order_update_payloads(updates) -> dict[int, list[dict]]:
    """{account id: [{event, order, fill?}, ...]} in batch order. Formatting only: the batch loaded
    every order with its instrument, so this runs on the event loop and touches no database."""
    from orders.api.formatting import format_cash, format_price, format_qty
    from orders.api.serializers import order_json

    out: dict[int, list[dict]] = defaultdict(list)
    for update in updates:
        order = update.order
        item = {"event": update.event, "order": order_json(order)}
        if update.fill is not None:
            fill, instrument = update.fill, order.instrument
            item["fill"] = {"trade_id": fill["trade"].pk, "price": format_price(fill["price"], instrument),
                            "qty": format_qty(fill["qty"], instrument), "liquidity": fill["liquidity"],
                            "fee": format_cash(fill["fee"])}
        out[order.account_id].append(item)
    return out


def candle_updates(pub: Publisher, core, symbols: list[str]) -> dict[str, list[dict]]:
    """Fold the new trades of `symbols` into candles; their changed candles as payloads.
    Runs in the database thread, after the batch committed."""
    from marketdata.candles import candle_payload, candles_apply_trades
    from marketdata.models import Instrument

    out = {}
    for symbol in symbols:
        try:
            instrument = pub.instruments.get(symbol)
            if instrument is None:
                instrument = pub.instruments[symbol] = Instrument.objects.get(symbol=symbol)
            changed, pub.watermarks[symbol] = candles_apply_trades(instrument=instrument,
                                                                  watermark=pub.watermarks.get(symbol))
        except Exception:
            log.warning("candles not updated", extra={"symbol": symbol}, exc_info=True)
            pub.watermarks.pop(symbol, None)  # read it again from the database next time
            pub.instruments.pop(symbol, None)
            continue
        if changed:  # by interval, in time order: each interval's last one is its current candle
            out[symbol] = [candle_payload(candle, instrument) for candle in changed]
    return out


async def _candles(pub: Publisher, core, symbols: list[str]) -> dict[str, list[dict]]:
    return await sync_to_async(candle_updates, thread_sensitive=True)(pub, core, symbols)
