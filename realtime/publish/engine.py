"""The engine worker's publisher: after a batch commits, in one Redis pipeline, each changed
symbol's book snapshot and quote (served by REST, read by the web processes' hubs) and one
MarketData message per symbol (book delta or snapshot, quote, trades); then, in a second, one
PrivateMessages message per account (its private stream messages of the batch, stored by the batch). Candles come on the worker's timer (`publish_candles`).
Nothing here may stop the engine: failures are logged, and the book's sequence scheme lets
every reader detect what it missed (docs/realtime.md).

Analytics: the same first pipeline appends the batch, whole, as one EngineBatch entry to the
engine's Redis Stream (`engine_stream_key`, capped with an approximate MAXLEN so the trim is
cheap): every changed symbol's trades and top of book, and every fill with its account. It reuses
the texts formatted for the channels, so it costs the engine one XADD in a round trip it makes
anyway (docs/analytics.md).

Book sequence: each symbol has its own counter in Redis (`book_seq_key`), incremented by one
for each batch that changed the symbol's levels, in one Lua script with storing the snapshot
and publishing the delta, so the snapshot REST serves and the stream's `book_snapshot` and
`book_delta` messages share one `seq`, and a restarted engine continues from the counter.
"""

from collections import defaultdict

from django.conf import settings

from common.jsontext import dumps
from common.logging import get_logger
from common.outages import outage_logged
from common.times import utc_iso
from marketdata.models import Candle, Instrument
from orders.engine import BookLevel, InstrumentSpec, MidpointTrade, Trade
from orders.worker.core import BatchResult
from realtime.channels import account_channel, book_key, book_seq_key, engine_stream_key, quote_key, symbol_channel
from realtime.formats import TickFormatter, candle_bar, quote_of, trade_print
from realtime.messages import BookDelta, BookSnapshot, EngineBatch, Fill, MarketData, PrivateMessages, SymbolBatch

log = get_logger("realtime.publish")

# INCR the book sequence, store the snapshot under it and publish the message carrying it.
# KEYS: sequence counter, snapshot. ARGV: the snapshot JSON after its "seq" member; the
# channel; the message JSON before and after its book's seq.
BOOK_SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], '{"seq":' .. seq .. ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3] .. seq .. ARGV[4])
return seq
"""


class EnginePublisher:
    """Publishes one engine worker's batches. Remembers which symbols' Redis snapshots are in line
    with the engine's books (the others are published whole, as a snapshot, before any delta) and
    the last quote of each symbol."""

    def __init__(self, redis, *, stream: bool | None = None):
        self.redis = redis
        # Append each batch to the engine stream (the analytics input); settings.ENGINE_STREAM by default.
        self.stream = settings.ENGINE_STREAM if stream is None else stream
        self.stream_maxlen = settings.ENGINE_STREAM_MAXLEN
        self.generation: int | None = None
        self.synced: set[str] = set()
        self.quotes: dict[str, tuple] = {}
        self.formatters: dict[str, TickFormatter] = {}

    def _formatter(self, symbol: str, spec: InstrumentSpec) -> TickFormatter:
        fmt = self.formatters.get(symbol)
        if fmt is None or fmt.spec != spec:
            fmt = self.formatters[symbol] = TickFormatter(spec)
        return fmt

    async def publish_batch(self, result: BatchResult) -> None:
        """Publish one committed batch. Never raises."""
        try:
            await self._publish(result)
        except Exception as error:
            if not outage_logged(log, error, what="publish"):
                log.warning("publish failed", exc_info=True)

    async def _publish(self, result: BatchResult) -> None:
        if result.generation != self.generation:
            # A rebuilt engine (start, or recovery after a failed batch) owes every symbol a snapshot.
            self.generation = result.generation
            self.synced.clear()
            self.quotes.clear()
        now = utc_iso()
        by_symbol: dict[str, list] = defaultdict(list)
        for event in result.events:
            if event.symbol in result.books:
                by_symbol[event.symbol].append(event)
        rows = {u.fill["trade_seq"]: u.fill["trade"] for u in result.updates if u.fill}
        batch = EngineBatch(ts=now, symbols={}, lag_ms=max(result.lags) * 1000 if result.lags else None)

        pipe = self.redis.pipeline(transaction=False)
        book_calls: list[str] = []  # symbols whose book script is in the pipeline
        for symbol in sorted(by_symbol):
            fmt = self._formatter(symbol, result.specs[symbol])
            message = MarketData(symbol=symbol, ts=now)
            changes: dict[tuple[str, int], int] = {}
            for event in by_symbol[symbol]:
                if isinstance(event, BookLevel):
                    changes[(str(event.side), event.price)] = event.qty
                elif isinstance(event, (Trade, MidpointTrade)) and event.seq in rows:
                    message.trades.append(trade_print(fmt, event, rows[event.seq]))
            l1, l2 = result.books[symbol]
            quote = quote_of(fmt, l1)
            values = tuple(quote.values())
            if self.stream:
                batch.symbols[symbol] = SymbolBatch(trades=message.trades, quote=quote)
            if self.quotes.get(symbol) != values:
                quote["ts"] = now
                pipe.set(quote_key(symbol), dumps(quote))
                message.quote = quote
                self.quotes[symbol] = values
            reset = symbol not in self.synced
            if reset or changes:
                snapshot = BookSnapshot(seq=0, bids=fmt.levels(l2.bids), asks=fmt.levels(l2.asks), ts=now)
                if reset:
                    message.snapshot = snapshot
                else:
                    message.book = BookDelta(seq=0, changes=[[side, fmt.price(p), fmt.qty(q)]
                                                             for (side, p), q in changes.items()])
                head, tail = message.encode_around_book_seq()
                pipe.eval(BOOK_SCRIPT, 2, book_seq_key(symbol), book_key(symbol), snapshot.encode_after_seq(),
                          symbol_channel(symbol), head, tail)
                book_calls.append(symbol)
            elif message.trades or message.quote is not None:
                pipe.publish(symbol_channel(symbol), message.encode())
        if self.stream and (batch.symbols or result.private):
            batch.fills = _fills(result.private)
            pipe.xadd(engine_stream_key(), {"m": batch.encode()}, maxlen=self.stream_maxlen, approximate=True)
        try:
            await pipe.execute()
            self.synced.update(book_calls)
        except Exception as error:
            # Perhaps nothing reached Redis: publish those books whole next time.
            if not outage_logged(log, error, what="market data not published"):
                log.warning("market data not published", exc_info=True)
            for symbol in book_calls:
                self.synced.discard(symbol)
                self.quotes.pop(symbol, None)
        if result.private:
            pipe = self.redis.pipeline(transaction=False)
            for account_id, messages in result.private.items():
                texts = [(m.seq, m.encode()) for m in messages]
                pipe.publish(account_channel(account_id), PrivateMessages(account_id=account_id, messages=texts).encode())
            try:
                await pipe.execute()
            except Exception as error:
                # Stored all the same: a hub that sees the next seq skip reads the missing ones back.
                if not outage_logged(log, error, what="private messages not published"):
                    log.warning("private messages not published", exc_info=True)

    async def publish_candles(self, candles: dict[str, tuple[Instrument, list[Candle]]]) -> None:
        """Publish the candles the worker folded: by interval, in time order, so each interval's
        last is its current candle. Never raises."""
        try:
            now = utc_iso()
            pipe = self.redis.pipeline(transaction=False)
            for symbol, (instrument, changed) in candles.items():
                bars = [candle_bar(candle, instrument) for candle in changed]
                pipe.publish(symbol_channel(symbol), MarketData(symbol=symbol, ts=now, candles=bars).encode())
            await pipe.execute()
        except Exception as error:
            if not outage_logged(log, error, what="candles not published"):
                log.warning("candles not published", exc_info=True)


def _fills(private: dict[int, list]) -> list[Fill]:
    """The batch's fills, each with its account and order, from the accounts' order updates."""
    fills: list[Fill] = []
    for account_id, messages in private.items():
        for message in messages:
            fill = message.body.get("fill") if message.type == "order_update" else None
            if fill is not None:
                order = message.body["order"]
                fills.append(Fill(account_id=account_id, order_id=order["id"], symbol=order["symbol"],
                                  side=order["side"], **fill))
    return fills
