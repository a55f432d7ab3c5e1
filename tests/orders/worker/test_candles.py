"""The engine worker's candle folder over the stored trades: from a watermark, once, caught up
after a restart."""

from datetime import datetime
from decimal import Decimal as D

import pytest

from marketdata.models import Candle
from orders.models import Trade
from orders.services import order_place
from orders.worker.candles import CandleFolder
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


def test_each_trade_is_folded_once_across_folds_and_restarts(setup):
    aapl, trade = setup
    trade("100.00", "1", "2026-05-04T13:47:01+00:00")
    trade("101.50", "2", "2026-05-04T13:47:30+00:00")
    folder = CandleFolder()
    instrument, changed = folder.fold(["AAPL"])["AAPL"]
    assert instrument == aapl and len(changed) == 3 and folder.watermarks == {"AAPL": 2}
    trade("99.00", "3", "2026-05-04T13:48:59+00:00")
    _, changed = folder.fold(["AAPL"])["AAPL"]
    assert [(c.interval, c.start.minute) for c in changed] == [("1m", 48), ("5m", 45), ("1h", 0)]
    assert folder.fold(["AAPL"]) == {}  # nothing new
    restarted = CandleFolder()  # no watermark in memory: read from the candles
    assert restarted.fold(["AAPL"]) == {} and restarted.watermarks == {"AAPL": 3}
    hour = Candle.objects.get(interval="1h")
    assert (hour.open, hour.high, hour.low, hour.close, hour.volume, hour.trade_count) == (
        D("100"), D("101.5"), D("99"), D("99"), D("6"), 3)


def test_an_unknown_symbol_is_skipped_not_fatal(setup):
    aapl, trade = setup
    trade("100.00", "1", "2026-05-04T13:47:01+00:00")
    folded = CandleFolder().fold(["NOPE", "AAPL"])
    assert list(folded) == ["AAPL"]
