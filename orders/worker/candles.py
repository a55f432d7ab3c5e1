"""The engine worker's candles: on its timer (not after every batch: a candle is a bar of a
minute or more), the committed trades of the symbols that traded are folded into their candles
(marketdata.candles), from a watermark per symbol, so each trade is folded exactly once and a
fold that failed (or a crash after the trades committed) is caught up by the next one."""

from dataclasses import dataclass, field

from common.logging import get_logger
from common.outages import outage_logged
from marketdata.candles import TradePrint, candles_fold
from marketdata.models import Candle, Instrument
from marketdata.selectors import candle_watermark
from orders.models import Trade

log = get_logger("orders.engine")

# One fold takes at most this many trades of a symbol; the next takes the rest (a first run on a
# database full of trades must not hold the engine's thread for long).
MAX_TRADES_PER_FOLD = 20_000


@dataclass
class CandleFolder:
    """Watermarks and instruments of the symbols this worker folds, kept between folds."""

    watermarks: dict[str, int] = field(default_factory=dict)
    instruments: dict[str, Instrument] = field(default_factory=dict)

    def fold(self, symbols: list[str]) -> dict[str, tuple[Instrument, list[Candle]]]:
        """Fold the new trades of `symbols`; {symbol: (instrument, changed candles)}. Runs in the
        database thread, after the batches committed. A symbol that fails is logged and read
        afresh next time."""
        out = {}
        for symbol in symbols:
            try:
                instrument = self.instruments.get(symbol)
                if instrument is None:
                    instrument = self.instruments[symbol] = Instrument.objects.get(symbol=symbol)
                watermark = self.watermarks.get(symbol)
                if watermark is None:
                    watermark = candle_watermark(instrument=instrument)
                trades = [TradePrint(*row) for row in
                          Trade.objects.filter(instrument=instrument, seq__gt=watermark).order_by("seq")
                          .values_list("seq", "price", "qty", "created_at")[:MAX_TRADES_PER_FOLD]]
                changed = candles_fold(instrument=instrument, trades=trades)
                self.watermarks[symbol] = trades[-1].seq if trades else watermark
            except Exception as error:
                if not outage_logged(log, error, what="candles not updated", symbol=symbol):
                    log.warning("candles not updated", symbol=symbol, exc_info=True)
                self.watermarks.pop(symbol, None)
                self.instruments.pop(symbol, None)
                continue
            if changed:
                out[symbol] = (instrument, changed)
        return out
