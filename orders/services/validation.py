"""Whether an order request makes sense for its instrument (prices on the tick grid, quantities
on the lot grid, the fields its type needs). A failure is a ServiceError of kind "invalid"
(REST 400 {field: [message]}): nothing is stored."""

from decimal import Decimal

from common.decimals import plain_decimal
from common.errors import invalid
from marketdata.models import Instrument
from orders.models import Order

PRICED_TYPES = {Order.Type.LIMIT, Order.Type.STOP_LIMIT}
STOP_TYPES = {Order.Type.STOP, Order.Type.STOP_LIMIT}
MIDPOINT = Order.Type.MIDPOINT
# Stored prices have 8 places: a midpoint (half a tick) must fit them.
PRICE_PLACES = 8


def _on_grid(value: Decimal, step: Decimal) -> bool:
    return value > 0 and value % step == 0


def validate_qty(*, instrument: Instrument, qty: Decimal) -> None:
    if not _on_grid(qty, instrument.lot_size):
        raise invalid("qty", f"qty must be a positive multiple of the lot size {plain_decimal(instrument.lot_size)}.")


def validate_price(*, instrument: Instrument, field: str, price: Decimal) -> None:
    if not _on_grid(price, instrument.tick_size):
        raise invalid(field, f"{field} must be a positive multiple of the tick size {plain_decimal(instrument.tick_size)}.")


def _validate_midpoint(*, instrument: Instrument, time_in_force: str, qty: Decimal, post_only: bool,
                       min_qty: Decimal | None) -> None:
    if post_only:
        raise invalid("post_only", "A midpoint order cannot be post_only: it is never displayed.")
    if time_in_force == Order.TimeInForce.FOK:
        raise invalid("time_in_force", "A midpoint order is gtc, day or ioc (not fok).")
    if min_qty is not None:
        if not _on_grid(min_qty, instrument.lot_size):
            raise invalid("min_qty", f"min_qty must be a positive multiple of the lot size "
                                     f"{plain_decimal(instrument.lot_size)}.")
        if min_qty > qty:
            raise invalid("min_qty", "min_qty cannot exceed qty.")
    if -(instrument.tick_size / 2).normalize().as_tuple().exponent > PRICE_PLACES:
        raise invalid("type", f"{instrument.symbol}'s tick is too fine for midpoint prices.")


def validate_order_shape(*, instrument: Instrument, type: str, time_in_force: str, qty: Decimal,
                         limit_price: Decimal | None, stop_price: Decimal | None, post_only: bool,
                         min_qty: Decimal | None = None) -> None:
    if type == MIDPOINT:
        _validate_midpoint(instrument=instrument, time_in_force=time_in_force, qty=qty, post_only=post_only,
                           min_qty=min_qty)
    elif min_qty is not None:
        raise invalid("min_qty", "min_qty applies only to midpoint orders.")
    if type in PRICED_TYPES and limit_price is None:
        raise invalid("limit_price", f"A {type} order needs a limit_price.")
    if type not in PRICED_TYPES and type != MIDPOINT and limit_price is not None:
        raise invalid("limit_price", f"A {type} order takes no limit_price.")
    if type in STOP_TYPES and stop_price is None:
        raise invalid("stop_price", f"A {type} order needs a stop_price.")
    if type not in STOP_TYPES and stop_price is not None:
        raise invalid("stop_price", f"A {type} order takes no stop_price.")
    if post_only and (type != Order.Type.LIMIT or time_in_force in {"ioc", "fok"}):
        raise invalid("post_only", "post_only applies only to gtc or day limit orders.")
    validate_qty(instrument=instrument, qty=qty)
    for field, price in (("limit_price", limit_price), ("stop_price", stop_price)):
        if price is not None:
            validate_price(instrument=instrument, field=field, price=price)
