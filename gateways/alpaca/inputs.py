"""Reading what an Alpaca client sends: JSON bodies whose numbers become Decimals exactly (a JSON
0.1 is Decimal("0.1"), never the binary float nearest to it), numbers as JSON numbers or strings,
and query parameters. Types only: the order services hold the rules."""

import json
from datetime import UTC, datetime
from decimal import Decimal

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from common.symbols import CLIENT_ORDER_ID, SYMBOL
from gateways.alpaca.errors import invalid
from orders.api.fields import DECIMAL_LIMIT, DECIMAL_TEXT, MAX_DECIMAL_CHARS, MAX_DECIMAL_PLACES, decimal_places

MAX_BODY_NUMBER_CHARS = 60


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _exact_float(text: str) -> Decimal:
    if len(text) > MAX_BODY_NUMBER_CHARS:
        raise ValueError("number too long")
    return Decimal(text)


class DecimalJSONParser(JSONParser):
    """JSON with every non-integer number as a Decimal of exactly the digits sent."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            text = stream.read().decode("utf-8") if stream is not None else ""
            if not text.strip():
                return {}
            return json.loads(text, parse_float=_exact_float, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise ParseError(f"the body is not valid JSON: {str(error)[:100]}") from None


def body_object(data) -> dict:
    if not isinstance(data, dict):
        raise invalid("the request body must be a JSON object")
    return data


def decimal_value(data: dict, name: str, *, required: bool = False) -> Decimal | None:
    """A positive decimal sent as a JSON number or a numeric string, exactly as written."""
    value = data.get(name)
    if value is None:
        if required:
            raise invalid(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise invalid(f"{name} must be a number or a numeric string")
    if isinstance(value, str):
        if len(value) > MAX_DECIMAL_CHARS or not DECIMAL_TEXT.fullmatch(value):
            raise invalid(f"{name} is not a valid number")
        value = Decimal(value)
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        raise invalid(f"{name} must be greater than 0")
    if value >= DECIMAL_LIMIT:
        raise invalid(f"{name} must be less than {DECIMAL_LIMIT}")
    if decimal_places(value) > MAX_DECIMAL_PLACES:
        raise invalid(f"{name} has more than {MAX_DECIMAL_PLACES} decimal places")
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


def choice(data: dict, name: str, choices, *, default=None, required: bool = False):
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"{name} is required")
        return default
    if not isinstance(value, str) or value not in choices:
        raise invalid(f"{name} must be one of: {', '.join(choices)}")
    return value


def boolean(data: dict, name: str, *, default: bool = False) -> bool:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, str) and value.lower() in ("true", "false"):  # query parameters (the SDK sends "True")
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise invalid(f"{name} must be true or false")
    return value


def symbol_value(value, name: str = "symbol") -> str:
    if not isinstance(value, str) or not value:
        raise invalid(f"{name} is required and must be a string")
    if not SYMBOL.fullmatch(value):
        raise invalid(f"{name} is not a valid symbol")
    return value


def client_order_id_value(data: dict) -> str | None:
    value = data.get("client_order_id")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not CLIENT_ORDER_ID.fullmatch(value):
        raise invalid("client_order_id must be 1 to 64 printable ASCII characters")
    return value


def symbols_param(text: str | None, *, limit: int = 100) -> list[str]:
    """`symbols=A,B` of a query."""
    if not text:
        return []
    symbols = list(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if len(symbols) > limit:
        raise invalid(f"at most {limit} symbols")
    return [symbol_value(s, "symbols") for s in symbols]


def int_param(query, name: str, *, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise invalid(f"{name} must be an integer")
    value = int(text)
    if not low <= value <= high:
        raise invalid(f"{name} must be between {low} and {high}")
    return value


def time_param(query, name: str) -> datetime | None:
    """An RFC 3339 time (a date alone means its midnight UTC); naive times are UTC."""
    text = query.get(name)
    if text is None or text == "":
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+")) if len(text) <= 40 else None
    except ValueError:
        value = None
    if value is None:
        raise invalid(f"{name} must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
