"""Response shapes of the public market data endpoints. Prices and quantities are strings
on the instrument's grid, as everywhere in the API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.decimals import format_price, format_qty, plain_decimal
from marketdata.models import Instrument
from orders.api.serializers import DecimalStringField

LEVELS_SCHEMA = {
    "type": "array",
    "description": "[[price, qty], ...] best first",
    "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
    "example": [["150.20", "100"]],
}


class InstrumentSerializer(serializers.Serializer):
    symbol = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    tick_size = serializers.SerializerMethodField()
    lot_size = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Instrument.Status.choices, read_only=True)

    def get_tick_size(self, instrument: Instrument) -> str:
        return plain_decimal(instrument.tick_size)

    def get_lot_size(self, instrument: Instrument) -> str:
        return plain_decimal(instrument.lot_size)


class BookSerializer(serializers.Serializer):
    """Depth as the engine last published it; levels are [price, qty], best first."""

    # Serializes a book_snapshot dict; context["instrument"] gives the price and qty grid.

    symbol = serializers.CharField(read_only=True)
    seq = serializers.IntegerField(read_only=True, help_text="The symbol's book sequence: the `seq` of the WebSocket "
                                                             "book stream's last message included in this snapshot.")
    bids = serializers.SerializerMethodField()
    asks = serializers.SerializerMethodField()

    def _levels(self, levels) -> list[list[str]]:
        instrument = self.context["instrument"]
        return [[format_price(price, instrument), format_qty(qty, instrument)] for price, qty in levels]

    @extend_schema_field(LEVELS_SCHEMA)
    def get_bids(self, book: dict):
        return self._levels(book["bids"])

    @extend_schema_field(LEVELS_SCHEMA)
    def get_asks(self, book: dict):
        return self._levels(book["asks"])


class PublicTradeSerializer(serializers.Serializer):
    """One trade of the public tape."""

    # context["instrument"] gives the price and qty grid.

    trade_id = serializers.IntegerField(source="id", read_only=True)
    price = DecimalStringField("price")
    qty = DecimalStringField("qty")
    aggressor_side = serializers.ChoiceField(
        choices=[("buy", "the taker bought"), ("sell", "the taker sold")], read_only=True)
    ts = serializers.DateTimeField(source="created_at", read_only=True)
    dark = serializers.BooleanField(read_only=True, help_text="A dark pool (midpoint) trade.")


class QuoteSerializer(serializers.Serializer):
    """Best bid and offer and the last trade price; nulls when the book side is empty."""

    # Serializes quote_list dicts; context["instruments"] maps symbol -> instrument for the grid.

    symbol = serializers.CharField(read_only=True)
    bid = serializers.SerializerMethodField()
    bid_qty = serializers.SerializerMethodField()
    ask = serializers.SerializerMethodField()
    ask_qty = serializers.SerializerMethodField()
    last = serializers.SerializerMethodField()
    ts = serializers.CharField(read_only=True, allow_null=True,
                               help_text="ISO 8601 UTC time of the engine's last update, or null.")

    def _instrument(self, quote: dict) -> Instrument:
        return self.context["instruments"][quote["symbol"]]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_bid(self, quote: dict) -> str | None:
        return format_price(quote.get("bid"), self._instrument(quote))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_bid_qty(self, quote: dict) -> str | None:
        return format_qty(quote.get("bid_qty"), self._instrument(quote))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_ask(self, quote: dict) -> str | None:
        return format_price(quote.get("ask"), self._instrument(quote))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_ask_qty(self, quote: dict) -> str | None:
        return format_qty(quote.get("ask_qty"), self._instrument(quote))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_last(self, quote: dict) -> str | None:
        return format_price(quote.get("last"), self._instrument(quote))


class CandleSerializer(serializers.Serializer):
    """One OHLCV candle: `t` is the start of its interval; prices and volume on the instrument's grid."""

    # Serializes realtime.formats.candle_bar dicts.

    t = serializers.DateTimeField(read_only=True)
    o = serializers.CharField(read_only=True)
    h = serializers.CharField(read_only=True)
    l = serializers.CharField(read_only=True)  # noqa: E741 - the field name of the contract
    c = serializers.CharField(read_only=True)
    v = serializers.CharField(read_only=True)
