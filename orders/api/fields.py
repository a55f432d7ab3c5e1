"""Strict request fields. They parse types and nothing else; business rules (tick and lot
multiples, known symbols, which prices a type needs) belong to the services.

Strict means no coercion: a decimal is a string (or a JSON integer, which is exact), never a
float; a boolean is true or false, never "yes" or 1; text is a string that UTF-8 can encode.
"""

import re
from collections.abc import Mapping
from decimal import Decimal

from rest_framework import serializers

# Decimal text: digits with an optional fraction and a short exponent. Decimal() alone would
# also take "NaN", "Infinity", "1_000", non-ASCII digits and surrounding spaces.
DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
MAX_DECIMAL_CHARS = 40
MAX_DECIMAL_PLACES = 8
# Every quantity and price column holds 20 digits with 8 decimals, so 12 integer digits.
DECIMAL_LIMIT = Decimal("1000000000000")


def safe_text(text: str) -> str:
    """Text that can be echoed back in an error message (no lone surrogates)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decimal_places(value: Decimal) -> int:
    """Significant decimal places, exactly (no context rounding): 1.500 -> 1, 1E+2 -> 0."""
    sign, digits, exponent = value.as_tuple()
    if exponent >= 0:
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - trailing_zeros)


class StrictDecimalField(serializers.DecimalField):
    """A positive decimal below 1e12 with at most 8 decimal places."""

    default_error_messages = {
        "type": 'Send a decimal as a string, e.g. "150.20" (JSON floats are not accepted).',
        "invalid": "A valid decimal number is required.",
        "positive": "Ensure this value is greater than zero.",
        "too_large": "Ensure this value is less than 1000000000000.",
        "places": f"Ensure that there are no more than {MAX_DECIMAL_PLACES} decimal places.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", MAX_DECIMAL_PLACES)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("type")
        text = str(data) if isinstance(data, int) else data
        if len(text) > MAX_DECIMAL_CHARS or not DECIMAL_TEXT.fullmatch(text):
            self.fail("invalid")
        value = Decimal(text)
        if value <= 0:
            self.fail("positive")
        if value >= DECIMAL_LIMIT:
            self.fail("too_large")
        if decimal_places(value) > MAX_DECIMAL_PLACES:
            self.fail("places")
        # Plain notation for what follows (1E+2 -> 100); exact, since the value is small.
        return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    """A JSON string; whitespace is kept (an identifier with spaces is a different identifier)."""

    default_error_messages = {
        "type": "Must be a string.",
        "encoding": "Must be valid Unicode text.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("type")
        if not is_encodable(data):
            self.fail("encoding")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    default_error_messages = {"invalid_choice": "Must be one of: {choices}."}

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str) or data not in self.choices:
            self.fail("invalid_choice", choices=", ".join(map(str, self.choices)))
        return data


class StrictSerializer(serializers.Serializer):
    # Refuses fields it does not know, naming them, so a typo never passes silently.
    # (A comment, not a docstring: the schema would show a docstring on every subclass.)

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        unknown_errors = {safe_text(str(name)): ["Unknown field."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown_errors}) from exc
            raise
        if unknown_errors:
            raise serializers.ValidationError(unknown_errors)
        return value
