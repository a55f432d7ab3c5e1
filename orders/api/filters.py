"""Query parameters of the order API's lists: parsed and checked here, applied by the
selectors in orders.selectors. An unknown symbol or status is a 400 naming the parameter."""

from rest_framework import serializers

from marketdata.models import Instrument
from orders.api.fields import StrictChoiceField
from orders.api.inputs import symbol_field

MAX_ID = 2**63 - 1


class SymbolFilter(serializers.Serializer):
    symbol = symbol_field(required=False, help_text="Only this instrument.")

    def validate_symbol(self, symbol: str) -> str:
        if not Instrument.objects.filter(symbol=symbol).exists():
            raise serializers.ValidationError(f"Unknown symbol {symbol!r}.")
        return symbol


class OrderListFilter(SymbolFilter):
    status = StrictChoiceField(choices=[("open", "open"), ("closed", "closed"), ("all", "all")],
                               required=False, default="all",
                               help_text="open (accepted, new, partially_filled, pending_cancel), "
                                         "closed (filled, canceled, rejected, expired) or all (default).")


class TradeListFilter(SymbolFilter):
    order_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                        help_text="Only the fills of this order of mine.")


def parse_query(filter_class: type[serializers.Serializer], request) -> dict:
    """Validated query parameters (400 on a bad one); other parameters such as page pass by."""
    parsed = filter_class(data=request.query_params)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)
