"""Cash arithmetic. Cash is Decimal with 2 places; nothing is ever a float.

Fees are truncated to the cent (in the trader's favour) and reservations rounded up,
so a buy's reservation always covers every fill it can make: see docs/orders.md.
"""

from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


def fee_for(notional: Decimal, rate: Decimal) -> Decimal:
    return (notional * rate).quantize(CENT, rounding=ROUND_DOWN)


def reserve_for(qty: Decimal, price: Decimal, fee_rate: Decimal) -> Decimal:
    """Cash a buy of qty at up to price needs, fees included."""
    if qty <= 0:
        return ZERO
    notional = qty * price
    return notional.quantize(CENT, rounding=ROUND_CEILING) + (notional * fee_rate).quantize(CENT, rounding=ROUND_CEILING)
