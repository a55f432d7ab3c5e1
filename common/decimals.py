"""How decimals travel: JSON strings, never floats.

Prices carry the instrument's tick decimals and quantities its lot decimals ("150.20",
"100"); a value that is off the grid (an average price, a feed's reference price) keeps
its extra digits, up to 8. Cash carries 2 places.
"""

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

CENT = Decimal("0.01")
MAX_PLACES = 8
EIGHT_PLACES = Decimal(1).scaleb(-MAX_PLACES)


# Cached: the same grids and prices are formatted over and over (every order update of a batch).
# Equal decimals format alike (1.0 and 1.00 give the same text), so equal keys are safe.
@lru_cache(maxsize=256)
def places_of(step: Decimal) -> int:
    """Decimal places of a grid step (0.01 -> 2, 1 -> 0, 0.50 -> 1), without rounding."""
    sign, digits, exponent = step.as_tuple()
    if exponent >= 0:
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - trailing)


@lru_cache(maxsize=65536)
def format_decimal(value: Decimal | str | None, places: int) -> str | None:
    """At least `places` decimals, more only if the value has them (at most 8)."""
    if value is None:
        return None
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    fine = value.quantize(EIGHT_PLACES, rounding=ROUND_HALF_EVEN)
    fine = abs(fine) if fine == 0 else fine  # never "-0.00"
    text = f"{fine:f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(places, "0")
    return f"{whole}.{fraction}" if fraction else whole


def format_cash(value: Decimal | None) -> str | None:
    if value is None:
        return None
    cents = value.quantize(CENT, rounding=ROUND_HALF_EVEN)
    return f"{abs(cents) if cents == 0 else cents:f}"


def format_price(value, instrument) -> str | None:
    return format_decimal(value, places_of(instrument.tick_size))


def format_qty(value, instrument) -> str | None:
    return format_decimal(value, places_of(instrument.lot_size))


def plain_decimal(value: Decimal) -> str:
    """A decimal as people write it, for grid steps and messages: 0.01000000 -> "0.01",
    1.00000000 -> "1", 1.9E+2 -> "190"."""
    return format_decimal(value, 0)
