"""OHLCV candles (1m, 5m, 1h) folded from trades.

`candles_fold` takes an instrument's trades in engine sequence order (as `TradePrint` tuples:
marketdata knows candles, not the order book's Trade model; the engine worker reads the trades
and calls it) and folds each into its buckets, all intervals in one transaction. A trade whose
seq is not above a candle's `last_trade_seq` is already in it, so each trade is counted exactly
once however often it is offered.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction

from marketdata.models import Candle, Instrument

INTERVALS: dict[str, timedelta] = {
    Candle.Interval.ONE_MINUTE: timedelta(minutes=1),
    Candle.Interval.FIVE_MINUTES: timedelta(minutes=5),
    Candle.Interval.ONE_HOUR: timedelta(hours=1),
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TradePrint(NamedTuple):
    seq: int  # the engine's per-symbol sequence of the trade
    price: Decimal
    qty: Decimal
    ts: datetime


def bucket_start(ts: datetime, interval: str) -> datetime:
    width = INTERVALS[interval]
    return ts - ((ts - EPOCH) % width)


def candles_fold(*, instrument: Instrument, trades: list[TradePrint]) -> list[Candle]:
    """Fold `trades` (ascending seq) into the instrument's candles. Returns the candles that
    changed, by interval then in time order, so each interval's last is its current candle."""
    if not trades:
        return []
    with transaction.atomic():
        wanted = {(interval, bucket_start(t.ts, interval)) for interval in INTERVALS for t in trades}
        existing = {(c.interval, c.start): c for c in Candle.objects.select_for_update().filter(
            instrument=instrument, start__in={start for _, start in wanted}, interval__in=list(INTERVALS))}
        touched: dict[tuple[str, datetime], Candle] = {}
        created: list[Candle] = []
        for seq, price, qty, ts in trades:
            for interval in INTERVALS:
                key = (interval, bucket_start(ts, interval))
                candle = touched.get(key) or existing.get(key)
                if candle is None:
                    candle = Candle(instrument=instrument, interval=interval, start=key[1], open=price, high=price,
                                    low=price, close=price, volume=qty, trade_count=1, last_trade_seq=seq)
                    created.append(candle)
                elif seq > candle.last_trade_seq:
                    candle.high, candle.low = max(candle.high, price), min(candle.low, price)
                    candle.close = price
                    candle.volume += qty
                    candle.trade_count += 1
                    candle.last_trade_seq = seq
                touched[key] = candle
        new = {id(c) for c in created}
        Candle.objects.bulk_create(created)
        updated = [c for c in touched.values() if id(c) not in new]
        Candle.objects.bulk_update(updated, ["high", "low", "close", "volume", "trade_count", "last_trade_seq"])
    order = list(INTERVALS)
    return sorted(touched.values(), key=lambda c: (order.index(c.interval), c.start))
