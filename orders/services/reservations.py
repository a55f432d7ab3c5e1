"""How much cash a buy order holds. One function, used at placement, replace, and by the
engine worker after every fill, so the reservation can never fall below what fills cost."""

from decimal import ROUND_CEILING, Decimal

from django.conf import settings

from orders.models import Order
from orders.money import ZERO, reserve_for


def fee_rate_for_reserve(instrument) -> Decimal:
    return max(instrument.maker_fee_rate, instrument.taker_fee_rate)


def collar_price(*, instrument, side: str, base: Decimal) -> Decimal:
    """The protection price of a market (or stop) buy: base plus the collar, up to a tick."""
    raw = base * (1 + Decimal(settings.MARKET_ORDER_COLLAR))
    ticks = (raw / instrument.tick_size).to_integral_value(rounding=ROUND_CEILING)
    return ticks * instrument.tick_size


def reserve_target(order: Order) -> Decimal:
    """Cash a buy order must still hold given its remaining quantity and any pending replace.

    While a replace is pending both versions may still fill: a higher (or equal) new price
    covers both with the larger of the two reservations; a lower one needs both.
    """
    if order.side != Order.Side.BUY or not order.is_open:
        return ZERO
    rate = fee_rate_for_reserve(order.instrument)
    current = reserve_for(order.qty - order.filled_qty, order.reserve_price, rate)
    if order.replace_qty is None:
        return current
    new_price = order.replace_limit_price or order.reserve_price
    pending = reserve_for(order.replace_qty - order.filled_qty, new_price, rate)
    return max(current, pending) if new_price >= order.reserve_price else current + pending
