"""Candles folded from trade prints: buckets, OHLCV, and each trade counted once."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from marketdata.candles import TradePrint, bucket_start, candles_fold
from marketdata.models import Candle
from tests.factories import make_instrument

pytestmark = pytest.mark.django_db


def prints(*rows) -> list[TradePrint]:
    return [TradePrint(seq, D(price), D(qty), datetime.fromisoformat(at)) for seq, price, qty, at in rows]


def test_buckets_align_to_the_interval():
    ts = datetime(2026, 5, 4, 13, 47, 31, 5, tzinfo=UTC)
    assert bucket_start(ts, "1m") == datetime(2026, 5, 4, 13, 47, tzinfo=UTC)
    assert bucket_start(ts, "5m") == datetime(2026, 5, 4, 13, 45, tzinfo=UTC)
    assert bucket_start(ts, "1h") == datetime(2026, 5, 4, 13, 0, tzinfo=UTC)


def test_trades_fold_into_ohlcv_once():
    aapl = make_instrument("AAPL")
    first = prints((1, "100.00", "1", "2026-05-04T13:47:01+00:00"), (2, "101.50", "2", "2026-05-04T13:47:30+00:00"))
    assert len(candles_fold(instrument=aapl, trades=first)) == 3
    later = prints((3, "99.00", "3", "2026-05-04T13:47:59+00:00"), (4, "100.25", "4", "2026-05-04T13:48:00+00:00"))
    changed = candles_fold(instrument=aapl, trades=later)
    assert [(c.interval, c.start.minute) for c in changed] == [("1m", 47), ("1m", 48), ("5m", 45), ("1h", 0)]
    candles_fold(instrument=aapl, trades=first + later)  # offered again: nothing is counted twice
    one_minute = list(Candle.objects.filter(interval="1m").order_by("start").values_list(
        "open", "high", "low", "close", "volume", "trade_count", "last_trade_seq"))
    assert one_minute == [(D("100"), D("101.5"), D("99"), D("99"), D("6"), 3, 3),
                          (D("100.25"), D("100.25"), D("100.25"), D("100.25"), D("4"), 1, 4)]
    hour = Candle.objects.get(interval="1h")
    assert (hour.open, hour.high, hour.low, hour.close, hour.volume, hour.trade_count) == (
        D("100"), D("101.5"), D("99"), D("100.25"), D("10"), 4)


def test_nothing_to_fold_changes_nothing():
    aapl = make_instrument("AAPL")
    assert candles_fold(instrument=aapl, trades=[]) == []
    assert not Candle.objects.exists()
