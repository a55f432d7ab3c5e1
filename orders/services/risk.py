"""The risk rules of order entry: what a valid order must also pass to be accepted. A refusal
is a ServiceError of kind "refused" (REST 422 {code, detail}); the refused order is stored
`rejected` by the caller. Cash and quantity are checked by the reservation itself
(orders.services.entry_statements), atomically, not here."""

from decimal import Decimal

from common.decimals import plain_decimal
from common.errors import ServiceError
from marketdata.models import Instrument
from orders.models import Order
from orders.services.reservations import collar_price


def price_band(instrument: Instrument) -> tuple[Decimal, Decimal] | None:
    """(low, high): the prices an order may have right now, around the reference (else last)
    price; None while the instrument has neither."""
    reference = instrument.reference_price or instrument.last_price
    if not reference:
        return None
    return reference * (1 - instrument.price_band), reference * (1 + instrument.price_band)


def frozen_refusal(*, reason: str = "") -> ServiceError:
    """The refusal of any order of a frozen account; `reason` is why it was frozen (a trip of its
    kill switch says which limit), empty when ops froze it by hand."""
    return ServiceError("account_frozen", f"The account is frozen: {reason}" if reason else "The account is frozen.")


def risk_check_tradable(*, instrument: Instrument, frozen: bool) -> None:
    if frozen:
        raise frozen_refusal()
    if not instrument.is_trading:
        raise ServiceError("instrument_halted", f"{instrument.symbol} is halted.")


def risk_check_band(*, instrument: Instrument, prices: tuple[Decimal | None, ...]) -> None:
    band = price_band(instrument)
    if band is None:
        return
    low, high = band
    for price in prices:
        if price is not None and not low <= price <= high:
            reference = instrument.reference_price or instrument.last_price
            raise ServiceError("price_out_of_band",
                               f"Price must lie within {instrument.price_band:.2%} of {plain_decimal(reference)} "
                               f"({plain_decimal(low)} to {plain_decimal(high)}).")


def risk_check_size(*, instrument: Instrument, qty: Decimal, price: Decimal | None) -> None:
    if qty > instrument.max_order_qty:
        raise ServiceError("size_limit", f"qty exceeds the maximum of {plain_decimal(instrument.max_order_qty)}.")
    if price is not None and qty * price > instrument.max_order_notional:
        raise ServiceError("size_limit", f"Notional exceeds the maximum of {plain_decimal(instrument.max_order_notional)}.")


def risk_check_order(*, instrument: Instrument, frozen: bool, side: str, qty: Decimal, limit_price: Decimal | None,
                     stop_price: Decimal | None) -> Decimal | None:
    """Raise a refusal, or return the price the buy reservation is computed at (None for a sell)."""
    risk_check_tradable(instrument=instrument, frozen=frozen)
    risk_check_band(instrument=instrument, prices=(limit_price, stop_price))
    reference = instrument.reference_price or instrument.last_price
    risk_check_size(instrument=instrument, qty=qty, price=limit_price or stop_price or reference)
    if side != Order.Side.BUY:
        return None
    if limit_price is not None:
        return limit_price
    base = stop_price or reference
    if base is None:
        raise ServiceError("no_reference_price", f"No reference price for {instrument.symbol} to protect a market buy.")
    return collar_price(instrument=instrument, side=side, base=base)
