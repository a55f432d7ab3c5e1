"""OHLCV candles (1m, 5m, 1h) built from the engine's trades.

The engine's publisher calls `candles_apply_trades` after each committed batch with trades.
It folds every trade of the instrument after a watermark (the highest `last_trade_seq` of the
instrument's candles) into its buckets, all intervals in one transaction, so each trade is
counted exactly once however often it is called, and a batch whose candles were not written
(a crash after the trades committed) is caught up by the next call.
"""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Max

from marketdata.models import Candle, Instrument
from orders.api.formatting import format_price, format_qty
from orders.models import Trade

INTERVALS: dict[str, timedelta] = {
    Candle.Interval.ONE_MINUTE: timedelta(minutes=1),
    Candle.Interval.FIVE_MINUTES: timedelta(minutes=5),
    Candle.Interval.ONE_HOUR: timedelta(hours=1),
}
# One call folds at most this many trades; the next call takes the rest (a first run on a
# database full of trades must not hold the engine's thread for long).
MAX_TRADES_PER_CALL = 20_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def bucket_start(ts: datetime, interval: str) -> datetime:
    width = INTERVALS[interval]
    return ts - ((ts - EPOCH) % width)


def candle_watermark(*, instrument: Instrument) -> int:
    """Engine seq of the last trade already in the instrument's candles (0 if none)."""
    return Candle.objects.filter(instrument=instrument).aggregate(m=Max("last_trade_seq"))["m"] or 0


def candles_apply_trades(*, instrument: Instrument, watermark: int | None = None) -> tuple[list[Candle], int]:
    """Fold the instrument's trades after `watermark` (read from the database when None) into
    its candles. Returns the candles that changed (by interval, then in time order, so each
    interval's last is its current candle) and the new watermark."""
    with transaction.atomic():
        if watermark is None:
            watermark = candle_watermark(instrument=instrument)
        trades = list(Trade.objects.filter(instrument=instrument, seq__gt=watermark).order_by("seq")
                      .values_list("seq", "price", "qty", "created_at")[:MAX_TRADES_PER_CALL])
        if not trades:
            return [], watermark
        wanted = {(interval, bucket_start(ts, interval)) for interval in INTERVALS for _, _, _, ts in trades}
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
    changed = sorted(touched.values(), key=lambda c: (order.index(c.interval), c.start))
    return changed, trades[-1][0]


def candle_list(*, instrument: Instrument, interval: str, limit: int = 100) -> list[Candle]:
    """The instrument's latest `limit` candles of `interval`, oldest first."""
    rows = Candle.objects.filter(instrument=instrument, interval=interval).order_by("-start")[:limit]
    return list(reversed(rows))


def candle_payload(candle: Candle, instrument: Instrument) -> dict:
    """`{interval, t, o, h, l, c, v}` with prices and quantities on the instrument's grid."""
    return {"interval": candle.interval, "t": candle.start.isoformat().replace("+00:00", "Z"),
            "o": format_price(candle.open, instrument), "h": format_price(candle.high, instrument),
            "l": format_price(candle.low, instrument), "c": format_price(candle.close, instrument),
            "v": format_qty(candle.volume, instrument)}
