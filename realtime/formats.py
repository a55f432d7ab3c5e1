"""Where every market-data message's content is formatted: the engine's integer ticks and lots, and
the database's decimals, as the API writes them (strings on the instrument's grid, API.md). The
private stream's messages are formatted by the engine worker as it stores them (orders/private/)."""

from common.decimals import format_cash, format_decimal, format_price, format_qty, places_of
from common.times import utc_iso
from marketdata.models import Candle, Instrument
from orders.engine import InstrumentSpec
from realtime.messages import CandleBar, Quote, TradePrint

# Texts kept per formatter before it starts over (a long-running engine sees many prices).
MAX_CACHED = 50_000


class TickFormatter:
    """Ticks and lots of one instrument as the API writes them; each text is built once."""

    def __init__(self, spec: InstrumentSpec):
        self.spec = spec
        self.price_places = places_of(spec.tick_size)
        self.qty_places = places_of(spec.lot_size)
        self._prices: dict[int, str] = {}
        self._qtys: dict[int, str] = {}

    def price(self, ticks: int | None) -> str | None:
        if ticks is None:
            return None
        text = self._prices.get(ticks)
        if text is None:
            if len(self._prices) > MAX_CACHED:
                self._prices.clear()
            text = self._prices[ticks] = format_decimal(self.spec.ticks_to_price(ticks), self.price_places)
        return text

    def qty(self, lots: int) -> str:
        text = self._qtys.get(lots)
        if text is None:
            if len(self._qtys) > MAX_CACHED:
                self._qtys.clear()
            text = self._qtys[lots] = format_decimal(self.spec.lots_to_qty(lots), self.qty_places)
        return text

    def levels(self, levels) -> list[list[str]]:
        return [[self.price(p), self.qty(q)] for p, q in levels]


def quote_of(fmt: TickFormatter, l1, ts: str | None = None) -> Quote:
    return {"bid": fmt.price(l1.bid), "bid_qty": fmt.qty(l1.bid_qty) if l1.bid is not None else None,
            "ask": fmt.price(l1.ask), "ask_qty": fmt.qty(l1.ask_qty) if l1.ask is not None else None,
            "last": fmt.price(l1.last), "ts": ts}


def trade_print(fmt: TickFormatter, event, row) -> TradePrint:
    """A trade event of the engine with its stored row (id, time; a dark trade's exact price)."""
    price = format_decimal(row.price, fmt.price_places) if row.dark else fmt.price(event.price)
    return {"trade_id": row.pk, "price": price, "qty": fmt.qty(event.qty),
            "aggressor_side": str(event.aggressor_side), "ts": utc_iso(row.created_at), "dark": row.dark}


def candle_bar(candle: Candle, instrument: Instrument) -> CandleBar:
    """`{interval, t, o, h, l, c, v}` with prices and quantities on the instrument's grid."""
    return {"interval": candle.interval, "t": utc_iso(candle.start),
            "o": format_price(candle.open, instrument), "h": format_price(candle.high, instrument),
            "l": format_price(candle.low, instrument), "c": format_price(candle.close, instrument),
            "v": format_qty(candle.volume, instrument)}
