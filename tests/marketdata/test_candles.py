"""Candles from trades: buckets, idempotent folding, catching up, and the REST endpoint."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from marketdata.candles import bucket_start, candles_apply_trades
from marketdata.models import Candle
from orders.models import Trade
from orders.services import order_place
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    aapl = make_instrument("AAPL")
    buyer = make_trader("buyer", cash="100000.00")
    seller = make_trader("seller", positions={aapl: "100"})
    maker, _ = order_place(account=seller, symbol="AAPL", side="sell", type="limit", qty=D("50"), limit_price=D("100"))
    taker, _ = order_place(account=buyer, symbol="AAPL", side="buy", type="limit", qty=D("50"), limit_price=D("100"))
    seq = [0]

    def trade(price: str, qty: str, at: str) -> Trade:
        seq[0] += 1
        row = Trade.objects.create(instrument=aapl, price=D(price), qty=D(qty), aggressor_side="buy", maker_order=maker,
                                   taker_order=taker, seq=seq[0])
        Trade.objects.filter(pk=row.pk).update(created_at=datetime.fromisoformat(at))
        return row

    return aapl, trade


def test_buckets_align_to_the_interval():
    ts = datetime(2026, 5, 4, 13, 47, 31, 5, tzinfo=UTC)
    assert bucket_start(ts, "1m") == datetime(2026, 5, 4, 13, 47, tzinfo=UTC)
    assert bucket_start(ts, "5m") == datetime(2026, 5, 4, 13, 45, tzinfo=UTC)
    assert bucket_start(ts, "1h") == datetime(2026, 5, 4, 13, 0, tzinfo=UTC)


def test_trades_fold_into_ohlcv_once(setup):
    aapl, trade = setup
    trade("100.00", "1", "2026-05-04T13:47:01+00:00")
    trade("101.50", "2", "2026-05-04T13:47:30+00:00")
    changed, watermark = candles_apply_trades(instrument=aapl)
    assert watermark == 2 and len(changed) == 3
    trade("99.00", "3", "2026-05-04T13:47:59+00:00")
    trade("100.25", "4", "2026-05-04T13:48:00+00:00")
    changed, watermark = candles_apply_trades(instrument=aapl, watermark=watermark)
    assert [(c.interval, c.start.minute) for c in changed] == [("1m", 47), ("1m", 48), ("5m", 45), ("1h", 0)]
    # Called again (another batch, a restart with no watermark in memory): nothing is counted twice.
    assert candles_apply_trades(instrument=aapl) == ([], 4)
    one_minute = list(Candle.objects.filter(interval="1m").order_by("start").values_list(
        "open", "high", "low", "close", "volume", "trade_count"))
    assert one_minute == [(D("100"), D("101.5"), D("99"), D("99"), D("6"), 3), (D("100.25"), D("100.25"), D("100.25"),
                                                                              D("100.25"), D("4"), 1)]
    hour = Candle.objects.get(interval="1h")
    assert (hour.open, hour.high, hour.low, hour.close, hour.volume) == (D("100"), D("101.5"), D("99"), D("100.25"),
                                                                         D("10"))


def test_rest_candles_oldest_first_on_the_grid(setup):
    aapl, trade = setup
    for minute in range(5):
        trade(f"{100 + minute}.5", "1", f"2026-05-04T13:0{minute}:10+00:00")
    candles_apply_trades(instrument=aapl)
    body = APIClient().get("/api/v1/marketdata/AAPL/candles/?interval=1m&limit=2").json()
    assert body == [
        {"t": "2026-05-04T13:03:00Z", "o": "103.50", "h": "103.50", "l": "103.50", "c": "103.50", "v": "1"},
        {"t": "2026-05-04T13:04:00Z", "o": "104.50", "h": "104.50", "l": "104.50", "c": "104.50", "v": "1"},
    ]
    five = APIClient().get("/api/v1/marketdata/AAPL/candles/?interval=5m").json()
    assert five == [{"t": "2026-05-04T13:00:00Z", "o": "100.50", "h": "104.50", "l": "100.50", "c": "104.50", "v": "5"}]
    assert APIClient().get("/api/v1/marketdata/AAPL/candles/").status_code == 200


@pytest.mark.parametrize("query", ["interval=2m", "interval=1d", "limit=0", "limit=1001", "limit=x"])
def test_bad_candle_parameters_are_400(setup, query):
    assert APIClient().get(f"/api/v1/marketdata/AAPL/candles/?{query}").status_code == 400


def test_unknown_symbol_candles_are_404(setup):
    assert APIClient().get("/api/v1/marketdata/NOPE/candles/").status_code == 404
