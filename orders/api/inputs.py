"""Request bodies of the order endpoints: types only. The order services hold the rules."""

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.symbols import CLIENT_ORDER_ID_CHARS, SYMBOL_CHARS
from orders.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDecimalField,
    StrictSerializer,
)
from orders.models import Order

MAX_BATCH = 100
client_order_id_validator = RegexValidator(
    rf"\A{CLIENT_ORDER_ID_CHARS}\Z", "Use 1 to 64 printable ASCII characters.", code="invalid")
# Unknown symbols are the service's to refuse.
symbol_validator = RegexValidator(rf"\A{SYMBOL_CHARS}\Z", "Not a symbol.", code="invalid")


def symbol_field(**kwargs) -> StrictCharField:
    return StrictCharField(max_length=16, validators=[symbol_validator], **kwargs)


class OrderRequestSerializer(StrictSerializer):
    symbol = symbol_field()
    side = StrictChoiceField(choices=Order.Side.choices)
    type = StrictChoiceField(choices=Order.Type.choices)
    qty = StrictDecimalField()
    time_in_force = StrictChoiceField(choices=Order.TimeInForce.choices)
    limit_price = StrictDecimalField(required=False, allow_null=True, default=None)
    stop_price = StrictDecimalField(required=False, allow_null=True, default=None)
    post_only = StrictBooleanField(required=False, default=False)
    min_qty = StrictDecimalField(required=False, allow_null=True, default=None)
    client_order_id = StrictCharField(required=False, allow_null=True, default=None, max_length=64,
                                      validators=[client_order_id_validator])


_order_fields = None


def parse_order(body) -> tuple[dict | None, dict | None]:
    """(validated data, None) or (None, errors), as `OrderRequestSerializer(data=body)` gives them.

    A well-formed body is validated by the serializer's own fields, bound once per process: a new
    serializer deep-copies all its fields first, which cost more than validating (and a batch has
    100 bodies). Anything else goes through a new serializer, which words the errors."""
    global _order_fields
    if _order_fields is None:
        _order_fields = OrderRequestSerializer().fields
    if isinstance(body, dict) and body.keys() <= _order_fields.keys():
        try:
            return {name: field.run_validation(field.get_value(body)) for name, field in _order_fields.items()}, None
        except (serializers.ValidationError, serializers.SkipField):
            pass
    parsed = OrderRequestSerializer(data=body)
    if parsed.is_valid():
        return dict(parsed.validated_data), None
    return None, parsed.errors


class OrderReplaceSerializer(StrictSerializer):
    qty = StrictDecimalField(required=False)
    limit_price = StrictDecimalField(required=False)


@extend_schema_field(OrderRequestSerializer(many=True))
class OrderBodiesField(serializers.ListField):
    """A list of order bodies, each parsed on its own later (a bad one fails alone)."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.JSONField(), min_length=1, max_length=MAX_BATCH, **kwargs)


class BatchRequestSerializer(StrictSerializer):
    orders = OrderBodiesField(help_text=f"1 to {MAX_BATCH} order bodies as for POST orders/; each stands alone.")
