"""/v2/stocks/bars, /v2/stocks/bars/latest, /v2/stocks/quotes/latest, /v2/stocks/trades/latest and
/v2/stocks/snapshots, for `symbols=A,B` (public data: keys are checked when sent, as on v1)."""

from datetime import UTC, datetime, time, timedelta

from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from gateways.alpaca.base import AlpacaView
from gateways.alpaca.errors import invalid
from gateways.alpaca.inputs import choice, int_param, symbols_param, time_param
from gateways.alpaca.market_data.formats import (
    TIMEFRAMES,
    candle_json,
    merged_bar,
    quote_json,
    rest_stamp,
    trade_json,
)
from marketdata.models import Candle, Instrument
from marketdata.selectors import candle_range, instruments_get_cached
from orders.selectors import public_trade_list
from realtime.selectors import quote_list

FEEDS = ("iex", "sip", "otc", "delayed_sip", "boats", "overnight")


def requested_instruments(query) -> dict[str, Instrument]:
    symbols = symbols_param(query.get("symbols"), limit=200)
    if not symbols:
        raise invalid("symbols is required")
    choice(query, "feed", FEEDS)
    choice(query, "currency", ("USD",))
    instruments = instruments_get_cached(symbols=symbols)
    unknown = [s for s in symbols if s not in instruments]
    if unknown:
        raise invalid(f"unknown symbol {unknown[0]!r}")
    return {s: instruments[s] for s in symbols}


def latest_trade(instrument: Instrument) -> dict | None:
    trade = next(iter(public_trade_list(symbol=instrument.symbol, limit=1)), None)
    if trade is None:
        return None
    return trade_json(trade_id=trade.pk, price=trade.price, qty=trade.qty, ts=trade.created_at, stamp=rest_stamp)


def latest_quotes(instruments: dict[str, Instrument]) -> dict[str, dict]:
    return {q["symbol"]: quote_json(q, rest_stamp) for q in quote_list(symbols=list(instruments)) if q["ts"]}


def latest_bar(instrument: Instrument) -> dict | None:
    candles = candle_range(instrument=instrument, interval=Candle.Interval.ONE_MINUTE, limit=1, ascending=False)
    return candle_json(candles[0], rest_stamp) if candles else None


def daily_bar(instrument: Instrument, day) -> dict | None:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    candles = candle_range(instrument=instrument, interval=Candle.Interval.ONE_HOUR, start=start,
                           end=start + timedelta(hours=23))
    return merged_bar(candles, start, rest_stamp)


class BarsView(AlpacaView):
    permission_classes = [AllowAny]

    def get(self, request):
        query = request.query_params
        instruments = requested_instruments(query)
        timeframe = query.get("timeframe")
        if timeframe not in TIMEFRAMES:
            raise invalid(f"timeframe must be one of: {', '.join(TIMEFRAMES)}")
        start, end = time_param(query, "start"), time_param(query, "end")
        limit = int_param(query, "limit", default=1000, low=1, high=10000)
        ascending = choice(query, "sort", ("asc", "desc"), default="asc") == "asc"
        choice(query, "adjustment", ("raw", "split", "dividend", "spin-off", "all"))
        bars, left = {}, limit
        for symbol, instrument in instruments.items():
            candles = candle_range(instrument=instrument, interval=TIMEFRAMES[timeframe], start=start, end=end,
                                   limit=left, ascending=ascending) if left else []
            left -= len(candles)
            bars[symbol] = [candle_json(c, rest_stamp) for c in candles]
        return Response({"bars": bars, "next_page_token": None, "currency": "USD"})


class LatestBarsView(AlpacaView):
    permission_classes = [AllowAny]

    def get(self, request):
        instruments = requested_instruments(request.query_params)
        bars = {s: latest_bar(i) for s, i in instruments.items()}
        return Response({"bars": {s: b for s, b in bars.items() if b is not None}})


class LatestQuotesView(AlpacaView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"quotes": latest_quotes(requested_instruments(request.query_params))})


class LatestTradesView(AlpacaView):
    permission_classes = [AllowAny]

    def get(self, request):
        instruments = requested_instruments(request.query_params)
        trades = {s: latest_trade(i) for s, i in instruments.items()}
        return Response({"trades": {s: t for s, t in trades.items() if t is not None}})


class SnapshotsView(AlpacaView):
    permission_classes = [AllowAny]

    def get(self, request):
        instruments = requested_instruments(request.query_params)
        quotes = latest_quotes(instruments)
        today = datetime.now(UTC).date()
        return Response({symbol: {
            "latestTrade": latest_trade(instrument),
            "latestQuote": quotes.get(symbol),
            "minuteBar": latest_bar(instrument),
            "dailyBar": daily_bar(instrument, today),
            "prevDailyBar": daily_bar(instrument, today - timedelta(days=1)),
        } for symbol, instrument in instruments.items()})
