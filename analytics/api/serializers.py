"""Shapes of the analytics and alerts endpoints (decimals as strings)."""

from decimal import Decimal, InvalidOperation

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.figures import quotient
from analytics.models import Alert
from common.decimals import format_decimal
from orders.api.fields import StrictBooleanField, StrictChoiceField, StrictSerializer
from orders.api.inputs import symbol_field


@extend_schema_field(OpenApiTypes.STR)
class ThresholdField(serializers.Field):
    """A decimal threshold as a string (or a JSON integer); its range is the service's rule, so
    "-5" is a clear 400 from the service rather than a type error."""

    default_error_messages = {"invalid": 'Send a decimal as a string, e.g. "150.20".'}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int)) or len(str(data)) > 40:
            self.fail("invalid")
        try:
            value = Decimal(str(data).strip())
        except InvalidOperation:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return format_decimal(value, 0)


class AlertRequestSerializer(StrictSerializer):
    kind = StrictChoiceField(choices=Alert.Kind.choices)
    symbol = symbol_field(required=False, allow_null=True, default=None)
    threshold = ThresholdField(required=False, allow_null=True, default=None)
    window_minutes = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=-10**6,
                                              max_value=10**6)
    email = StrictBooleanField(required=False, default=False)


class AlertChangeSerializer(StrictSerializer):
    threshold = ThresholdField(required=False)
    window_minutes = serializers.IntegerField(required=False, min_value=-10**6, max_value=10**6)
    email = StrictBooleanField(required=False)


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    symbol = serializers.SerializerMethodField()
    threshold = serializers.SerializerMethodField()
    window_minutes = serializers.IntegerField(allow_null=True)
    email = serializers.BooleanField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    triggered_at = serializers.DateTimeField(allow_null=True)

    def get_symbol(self, alert) -> str | None:
        return alert.instrument.symbol if alert.instrument_id else None

    def get_threshold(self, alert) -> str | None:
        return format_decimal(alert.threshold, 0)


class AlertTriggerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    alert_id = serializers.IntegerField()
    kind = serializers.CharField(source="alert.kind")
    symbol = serializers.SerializerMethodField()
    message = serializers.CharField()
    price = serializers.SerializerMethodField()
    trade_id = serializers.IntegerField(allow_null=True)
    ts = serializers.DateTimeField(source="created_at")

    def get_symbol(self, trigger) -> str | None:
        return trigger.alert.instrument.symbol if trigger.alert.instrument_id else None

    def get_price(self, trigger) -> str | None:
        return format_decimal(trigger.price, 2)


class AnalyticsMinuteSerializer(serializers.Serializer):
    t = serializers.DateTimeField(source="minute")
    trades = serializers.IntegerField()
    volume = serializers.SerializerMethodField()
    vwap = serializers.SerializerMethodField()
    open = serializers.SerializerMethodField()
    high = serializers.SerializerMethodField()
    low = serializers.SerializerMethodField()
    close = serializers.SerializerMethodField()
    buy_volume = serializers.SerializerMethodField()
    sell_volume = serializers.SerializerMethodField()
    spread_mean = serializers.SerializerMethodField()
    spread_min = serializers.SerializerMethodField()
    spread_max = serializers.SerializerMethodField()
    session_vwap = serializers.SerializerMethodField()
    vwap_5m = serializers.SerializerMethodField()
    twap = serializers.SerializerMethodField()
    volatility_30m = serializers.FloatField(allow_null=True)

    def _price(name):
        def get(self, row) -> str | None:
            return format_decimal(getattr(row, name), 2)
        return get

    def _qty(name):
        def get(self, row) -> str | None:
            return format_decimal(getattr(row, name), 0)
        return get

    get_volume, get_buy_volume, get_sell_volume = _qty("volume"), _qty("buy_volume"), _qty("sell_volume")
    get_open, get_high, get_low, get_close = _price("open"), _price("high"), _price("low"), _price("close")
    get_spread_min, get_spread_max = _price("spread_min"), _price("spread_max")
    get_session_vwap, get_vwap_5m, get_twap = _price("session_vwap"), _price("vwap_5m"), _price("twap")

    def get_vwap(self, row) -> str | None:
        return format_decimal(quotient(row.notional, row.volume), 2)

    def get_spread_mean(self, row) -> str | None:
        return format_decimal(quotient(row.spread_sum, Decimal(row.spreads)), 2)
