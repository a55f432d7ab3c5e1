"""Query parameters of the market data endpoints."""

from rest_framework import serializers

from common.symbols import is_symbol
from marketdata.models import Instrument
from orders.api.fields import StrictCharField

MAX_QUOTE_SYMBOLS = 100


class BookParams(serializers.Serializer):
    depth = serializers.IntegerField(required=False, default=10, min_value=1, max_value=1000,
                                     help_text="Price levels per side, 1 to 1000.")


class TapeParams(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=1000,
                                     help_text="Most recent trades, 1 to 1000.")


class CandleParams(serializers.Serializer):
    interval = serializers.ChoiceField(choices=["1m", "5m", "1h"], required=False, default="1m",
                                       help_text="Candle width: 1m, 5m or 1h.")
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=1000,
                                     help_text="Most recent candles, 1 to 1000 (returned oldest first).")


class QuotesParams(serializers.Serializer):
    symbols = StrictCharField(required=False, help_text="Comma-separated symbols; all instruments if omitted.")

    def validate_symbols(self, text: str) -> list[str]:
        symbols = list(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
        if not symbols:
            raise serializers.ValidationError("Give at least one symbol.")
        if len(symbols) > MAX_QUOTE_SYMBOLS:
            raise serializers.ValidationError(f"At most {MAX_QUOTE_SYMBOLS} symbols.")
        malformed = [s for s in symbols if not is_symbol(s)]
        if malformed:
            raise serializers.ValidationError(f"Not a symbol: {malformed[0]!r}.")
        known = set(Instrument.objects.filter(symbol__in=symbols).values_list("symbol", flat=True))
        unknown = [s for s in symbols if s not in known]
        if unknown:
            raise serializers.ValidationError(f"Unknown symbol(s): {', '.join(unknown)}.")
        return symbols
