"""Response shapes of the order API (also used by the engine worker for order updates).

Decimals are strings on the instrument's grid (see common.decimals); times are ISO 8601
UTC. These serializers only write; request bodies are parsed in orders.api.inputs.
"""

from collections.abc import Mapping

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.decimals import format_cash, format_decimal, places_of
from common.times import utc_iso
from orders.models import Order

DECIMAL_SCHEMA = {"type": "string", "format": "decimal"}


def grid_step(instance, grid: str):
    """The tick (price) or lot (qty) step that applies to a row: an object with an
    `instrument`, an Instrument itself, or a dict row carrying tick_size and lot_size."""
    key = "tick_size" if grid == "price" else "lot_size"
    if isinstance(instance, Mapping):
        return instance[key]
    instrument = getattr(instance, "instrument", instance)
    return getattr(instrument, key)


@extend_schema_field(DECIMAL_SCHEMA)
class DecimalStringField(serializers.Field):
    """A read-only decimal written as a string: grid "price" or "qty" (the instrument's
    decimals), or "cash" (2 places)."""

    def __init__(self, grid: str, **kwargs):
        assert grid in {"price", "qty", "cash"}
        self.grid = grid
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return super().get_attribute(instance), instance

    def to_representation(self, pair):
        value, instance = pair
        if value is None:
            return None
        if self.grid == "cash":
            return format_cash(value)
        # A list of one instrument's rows may pass the instrument in the context.
        source = self.context.get("instrument") or instance
        return format_decimal(value, places_of(grid_step(source, self.grid)))


def _iso(value) -> str | None:
    """What DRF's DateTimeField writes: ISO 8601 in the current time zone, which is always UTC here
    (TIME_ZONE, and nothing activates another), with "Z"."""
    if not value:
        return None
    return utc_iso(value) if timezone.is_aware(value) else value.isoformat()


def order_json(order, instrument=None) -> dict:
    """An order as the API writes it: exactly what OrderSerializer's fields produce (the tests
    compare the two), built directly because the field machinery cost about as much as placing
    the order. `instrument` may be passed when the caller has it (a list of one symbol's rows)."""
    instrument = instrument or order.instrument
    price_places, qty_places = places_of(instrument.tick_size), places_of(instrument.lot_size)

    def price(value):
        return None if value is None else format_decimal(value, price_places)

    def text(value):
        return None if value is None else str(value)

    return {
        "id": None if order.id is None else int(order.id),
        "client_order_id": text(order.client_order_id),
        "symbol": text(instrument.symbol),
        "side": text(order.side),
        "type": text(order.type),
        "time_in_force": text(order.time_in_force),
        "post_only": None if order.post_only is None else bool(order.post_only),
        "qty": None if order.qty is None else format_decimal(order.qty, qty_places),
        "limit_price": price(order.limit_price),
        "stop_price": price(order.stop_price),
        "min_qty": None if order.min_qty is None else format_decimal(order.min_qty, qty_places),
        "status": text(order.status),
        "filled_qty": None if order.filled_qty is None else format_decimal(order.filled_qty, qty_places),
        "avg_fill_price": price(order.avg_fill_price),
        "reject_reason": order.reject_reason or None,
        "created_at": _iso(order.created_at),
        "updated_at": _iso(order.updated_at),
    }


class OrderSerializer(serializers.Serializer):
    """The fields document the shape (OpenAPI); `to_representation` writes it with `order_json`."""

    id = serializers.IntegerField(read_only=True)
    client_order_id = serializers.CharField(read_only=True, allow_null=True)
    symbol = serializers.CharField(source="instrument.symbol", read_only=True)
    side = serializers.ChoiceField(choices=Order.Side.choices, read_only=True)
    type = serializers.ChoiceField(choices=Order.Type.choices, read_only=True)
    time_in_force = serializers.ChoiceField(choices=Order.TimeInForce.choices, read_only=True)
    post_only = serializers.BooleanField(read_only=True)
    qty = DecimalStringField("qty")
    limit_price = DecimalStringField("price", allow_null=True)
    stop_price = DecimalStringField("price", allow_null=True)
    min_qty = DecimalStringField("qty", allow_null=True, help_text="A midpoint order's minimum fill quantity.")
    status = serializers.ChoiceField(choices=Order.Status.choices, read_only=True)
    filled_qty = DecimalStringField("qty")
    avg_fill_price = DecimalStringField("price", allow_null=True)
    reject_reason = serializers.SerializerMethodField(
        help_text="Why risk refused the order (a snake_case code), or null.")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reject_reason(self, order: Order) -> str | None:
        return order.reject_reason or None

    def to_representation(self, instance):
        return order_json(instance, self.context.get("instrument"))

    def field_representation(self, instance):
        """DRF's field-by-field output: what `order_json` must equal (asserted by the tests)."""
        return super().to_representation(instance)


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    currency = serializers.CharField(read_only=True)
    cash = DecimalStringField("cash")
    reserved_cash = DecimalStringField("cash", help_text="Held for open buy orders, fees included.")
    buying_power = DecimalStringField("cash", help_text="cash - reserved_cash")
    equity = DecimalStringField("cash", help_text="cash + market value of the positions")
    realized_pl = DecimalStringField("cash")
    unrealized_pl = DecimalStringField("cash")


class PositionSerializer(serializers.Serializer):
    symbol = serializers.CharField(read_only=True)
    qty = DecimalStringField("qty")
    reserved_qty = DecimalStringField("qty", help_text="Held for open sell orders.")
    avg_price = DecimalStringField("price")
    market_price = DecimalStringField("price", help_text="Last trade price, else reference price, else avg_price.")
    market_value = DecimalStringField("cash")
    unrealized_pl = DecimalStringField("cash")
    realized_pl = DecimalStringField("cash")


class FillSerializer(serializers.Serializer):
    trade_id = serializers.IntegerField(read_only=True)
    order_id = serializers.IntegerField(read_only=True)
    symbol = serializers.CharField(read_only=True)
    side = serializers.ChoiceField(choices=Order.Side.choices, read_only=True)
    price = DecimalStringField("price")
    qty = DecimalStringField("qty")
    fee = DecimalStringField("cash")
    liquidity = serializers.ChoiceField(choices=[("maker", "maker"), ("taker", "taker")], read_only=True)
    ts = serializers.DateTimeField(read_only=True)


class CancelAllSerializer(serializers.Serializer):
    canceled = serializers.ListField(child=serializers.IntegerField(), read_only=True,
                                     help_text="Ids of the orders now pending_cancel.")


class BatchResultSerializer(serializers.Serializer):
    """One order of a batch, with the status a single POST orders/ would have had."""

    # Documentation only (the view builds the dicts); not read-only, so that the schema
    # shows `order` and `errors` as optional.
    status = serializers.ChoiceField(choices=[(200, "already placed with this client_order_id"), (201, "placed"),
                                              (400, "invalid"), (409, "client_order_id used by another order"),
                                              (422, "refused")])
    order = OrderSerializer(required=False, help_text="201, 200, and 422 (the stored rejected order).")
    errors = serializers.DictField(required=False, help_text="400: {field: [message]}; 422: {code, detail}.")


class BatchResponseSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True, read_only=True)


@extend_schema_field(DECIMAL_SCHEMA)
class PlainDecimalField(serializers.Field):
    """A read-only decimal written as a string with the digits it has (a quantity or price of rows of
    several instruments, or a limit)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else format_decimal(value, 0)


class RiskLimitsSerializer(serializers.Serializer):
    max_position_qty = PlainDecimalField(allow_null=True)
    max_gross_exposure = DecimalStringField("cash", allow_null=True)
    max_open_notional = DecimalStringField("cash", allow_null=True)
    max_daily_loss = DecimalStringField("cash", allow_null=True)
    max_orders_per_second = serializers.IntegerField(read_only=True, allow_null=True)


class RiskPositionSerializer(serializers.Serializer):
    symbol = serializers.CharField(read_only=True)
    qty = PlainDecimalField()
    mark = PlainDecimalField()
    market_value = DecimalStringField("cash")
    unrealized_pl = DecimalStringField("cash")


class AccountRiskSerializer(serializers.Serializer):
    account_id = serializers.IntegerField(read_only=True)
    currency = serializers.CharField(read_only=True)
    gross_exposure = DecimalStringField("cash", help_text="Sum of |qty| x mark over the positions.")
    net_exposure = DecimalStringField("cash", help_text="Long minus short market value.")
    open_order_notional = DecimalStringField("cash", help_text="Unfilled part of the open orders, both sides.")
    open_buy_notional = DecimalStringField("cash")
    open_sell_notional = DecimalStringField("cash")
    realized_pl = DecimalStringField("cash")
    unrealized_pl = DecimalStringField("cash", help_text="Marked to the last trade (else reference) price.")
    today_pl = DecimalStringField("cash", help_text="Equity change since 00:00 UTC, deposits and transfers aside.")
    frozen = serializers.BooleanField(read_only=True)
    frozen_reason = serializers.CharField(read_only=True)
    limits = RiskLimitsSerializer(read_only=True)
    positions = RiskPositionSerializer(many=True, read_only=True)
