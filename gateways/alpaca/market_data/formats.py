"""The venue's market data in Alpaca's shapes, for REST (times as RFC 3339 text) and for the msgpack
stream (times as msgpack timestamps): one function per kind, `stamp` turning a time into either.

Prices and sizes are numbers, as Alpaca writes them (the venue's decimals have at most 8 places
and 20 digits, and each one's shortest float text is the decimal itself: 150.25 stays 150.25)."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import msgpack

from common.times import utc_iso
from marketdata.models import Candle

EXCHANGE_CODE = "V"  # Alpaca's code of IEX, the feed the SDK asks for; here: this venue
TAPE = "V"
TIMEFRAMES = {"1Min": Candle.Interval.ONE_MINUTE, "5Min": Candle.Interval.FIVE_MINUTES,
              "1Hour": Candle.Interval.ONE_HOUR, "60Min": Candle.Interval.ONE_HOUR}
Stamp = Callable[[datetime | str], object]


def number(value) -> float | int:
    if value is None:
        return 0
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)


def _datetime(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))


def rest_stamp(value: datetime | str) -> str:
    return utc_iso(_datetime(value))


def stream_stamp(value: datetime | str) -> msgpack.Timestamp:
    return msgpack.Timestamp.from_datetime(_datetime(value))


def quote_json(quote: dict, stamp: Stamp) -> dict:
    """From a venue quote {bid, bid_qty, ask, ask_qty, ts}; an empty side is 0 (as Alpaca sends)."""
    return {"t": stamp(quote["ts"]), "ax": EXCHANGE_CODE, "ap": number(quote.get("ask")),
            "as": number(quote.get("ask_qty")), "bx": EXCHANGE_CODE, "bp": number(quote.get("bid")),
            "bs": number(quote.get("bid_qty")), "c": ["R"], "z": TAPE}


def trade_json(*, trade_id: int, price, qty, ts, stamp: Stamp) -> dict:
    return {"t": stamp(ts), "x": EXCHANGE_CODE, "p": number(price), "s": number(qty), "c": ["@"], "i": trade_id,
            "z": TAPE}


def bar_json(*, start, open, high, low, close, volume, trade_count: int, stamp: Stamp) -> dict:
    return {"t": stamp(start), "o": number(open), "h": number(high), "l": number(low), "c": number(close),
            "v": number(volume), "n": trade_count, "vw": None}


def candle_json(candle: Candle, stamp: Stamp) -> dict:
    return bar_json(start=candle.start, open=candle.open, high=candle.high, low=candle.low, close=candle.close,
                    volume=candle.volume, trade_count=candle.trade_count, stamp=stamp)


def merged_bar(candles: list[Candle], start: datetime, stamp: Stamp) -> dict | None:
    """One bar of several candles in time order (a day of hourly candles)."""
    if not candles:
        return None
    return bar_json(start=start, open=candles[0].open, high=max(c.high for c in candles),
                    low=min(c.low for c in candles), close=candles[-1].close,
                    volume=sum((c.volume for c in candles), Decimal(0)),
                    trade_count=sum(c.trade_count for c in candles), stamp=stamp)


def published_bar_json(candle: dict, stamp: Stamp) -> dict:
    """A candle as the engine publishes it (realtime.messages.CandleBar: text on the grid)."""
    return bar_json(start=candle["t"], open=candle["o"], high=candle["h"], low=candle["l"], close=candle["c"],
                    volume=candle["v"], trade_count=int(candle.get("n") or 0), stamp=stamp)
