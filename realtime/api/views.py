"""Public market data over REST: instruments, book snapshot, trade tape, candles, quotes."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import not_found
from common.symbols import is_symbol
from marketdata.models import Instrument
from marketdata.selectors import candle_list, instrument_get, instrument_list
from orders.api.filters import parse_query
from orders.selectors import public_trade_list
from realtime.api.params import BookParams, CandleParams, QuotesParams, TapeParams
from realtime.api.serializers import (
    BookSerializer,
    CandleSerializer,
    InstrumentSerializer,
    PublicTradeSerializer,
    QuoteSerializer,
)
from realtime.formats import candle_bar
from realtime.selectors import book_snapshot, quote_list

TAGS = ["market data"]
SYMBOL_PARAM = OpenApiParameter("symbol", str, OpenApiParameter.PATH, description="e.g. AAPL")
UNKNOWN_SYMBOL = OpenApiResponse(description="Unknown symbol: {detail}.")
BAD_PARAMS = OpenApiResponse(description="Invalid parameter: {field: [message]}.")


def _instrument(symbol: str) -> Instrument:
    instrument = instrument_get(symbol=symbol) if is_symbol(symbol) else None
    if instrument is None:
        raise not_found(f"Symbol {symbol[:40]!r}")
    return instrument


class PublicView(APIView):
    permission_classes = [AllowAny]


class InstrumentListView(PublicView, GenericAPIView):
    serializer_class = InstrumentSerializer

    @extend_schema(operation_id="instruments_list", responses=InstrumentSerializer(many=True), tags=TAGS,
                   summary="Instruments of the venue")
    def get(self, request):
        page = self.paginate_queryset(instrument_list())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class BookView(PublicView):
    @extend_schema(operation_id="marketdata_book", parameters=[SYMBOL_PARAM, BookParams], tags=TAGS,
                   summary="L2 book snapshot, best first",
                   responses={200: BookSerializer, 400: BAD_PARAMS, 404: UNKNOWN_SYMBOL})
    def get(self, request, symbol: str):
        instrument = _instrument(symbol)
        depth = parse_query(BookParams, request)["depth"]
        book = book_snapshot(symbol=instrument.symbol, depth=depth)
        return Response(BookSerializer(book, context={"instrument": instrument}).data)


class PublicTradeListView(PublicView):
    @extend_schema(operation_id="marketdata_trades", parameters=[SYMBOL_PARAM, TapeParams], tags=TAGS,
                   summary="Public trade tape, newest first",
                   responses={200: PublicTradeSerializer(many=True), 400: BAD_PARAMS, 404: UNKNOWN_SYMBOL})
    def get(self, request, symbol: str):
        instrument = _instrument(symbol)
        limit = parse_query(TapeParams, request)["limit"]
        trades = public_trade_list(symbol=instrument.symbol, limit=limit)
        return Response(PublicTradeSerializer(trades, many=True, context={"instrument": instrument}).data)


class CandleListView(PublicView):
    @extend_schema(operation_id="marketdata_candles", parameters=[SYMBOL_PARAM, CandleParams], tags=TAGS,
                   summary="OHLCV candles built from the trades, oldest first",
                   responses={200: CandleSerializer(many=True), 400: BAD_PARAMS, 404: UNKNOWN_SYMBOL})
    def get(self, request, symbol: str):
        instrument = _instrument(symbol)
        params = parse_query(CandleParams, request)
        candles = candle_list(instrument=instrument, interval=params["interval"], limit=params["limit"])
        return Response([{k: v for k, v in candle_bar(c, instrument).items() if k != "interval"} for c in candles])


class QuoteListView(PublicView):
    @extend_schema(operation_id="marketdata_quotes", parameters=[QuotesParams], tags=TAGS,
                   summary="Latest L1 quotes", responses={200: QuoteSerializer(many=True), 400: BAD_PARAMS})
    def get(self, request):
        symbols = parse_query(QuotesParams, request).get("symbols")
        instruments = {i.symbol: i for i in instrument_list()}
        quotes = quote_list(symbols=symbols if symbols is not None else list(instruments))
        return Response(QuoteSerializer(quotes, many=True, context={"instruments": instruments}).data)
