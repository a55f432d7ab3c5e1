"""The Decimal edge: exact conversions between Decimal prices/quantities and integer
ticks/lots, so the engine itself only ever adds and compares integers.

Conversions are exact or refused: a price that is not a whole number of ticks raises
``GridError`` with ``reason == "off_tick"`` (``"off_lot"`` for quantities), never rounds.
Floats are refused outright (0.1 is not a decimal). ``InstrumentSpec.new_order`` turns
such an order into a ``RejectOrder`` command, so the engine still answers it with a
sequenced ``Rejected`` event and "off-grid orders are rejected" holds at its boundary.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .commands import NewOrder, RejectOrder
from .types import OrderType, RejectReason, Side, StpMode, TimeInForce


class GridError(ValueError):
    """A value that cannot be converted exactly; ``reason`` is a RejectReason code."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def _decimal(value, reason, what):
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            dec = Decimal(value)
        except InvalidOperation:
            raise GridError(reason, f"{what} {value!r} is not a number") from None
    else:
        raise GridError(reason, f"{what} must be a Decimal, int or str, not {type(value).__name__}")
    if not dec.is_finite():
        raise GridError(reason, f"{what} {value!r} is not finite")
    return dec


def _units(value, step, off_reason, bad_reason, what):
    dec = _decimal(value, bad_reason, what)
    try:
        units, rest = divmod(dec, step)
    except InvalidOperation:
        raise GridError(bad_reason, f"{what} {value!r} is out of range") from None
    if rest:
        raise GridError(off_reason, f"{what} {value} is not a multiple of {step}")
    return int(units)


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """Tick and lot size of an instrument, e.g. ``InstrumentSpec(Decimal("0.01"), Decimal("1"))``."""

    tick_size: Decimal
    lot_size: Decimal

    def __post_init__(self):
        for name in ("tick_size", "lot_size"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
                raise ValueError(f"{name} must be a positive Decimal, got {value!r}")

    def price_to_ticks(self, price):
        """Exact number of ticks in ``price``; GridError("off_tick") if off the grid."""
        return _units(price, self.tick_size, RejectReason.OFF_TICK, RejectReason.INVALID_PRICE,
                      "price")

    def qty_to_lots(self, qty):
        """Exact number of lots in ``qty``; GridError("off_lot") if not a whole number of lots."""
        return _units(qty, self.lot_size, RejectReason.OFF_LOT, RejectReason.INVALID_QTY, "qty")

    def ticks_to_price(self, ticks):
        return _plain(self.tick_size * ticks)

    def lots_to_qty(self, lots):
        return _plain(self.lot_size * lots)

    def half_ticks_to_price(self, half_ticks):
        """A midpoint price (``MidpointTrade.half_ticks``), exact: half a tick is a Decimal."""
        return _plain(self.tick_size * half_ticks / 2)

    def new_order(self, *, order_id, account_id, symbol, side, qty, type=OrderType.LIMIT,
                  time_in_force=TimeInForce.GTC, price=None, stop_price=None, post_only=False,
                  stp=None, min_qty=None):
        """A ``NewOrder`` in ticks and lots from Decimal fields, or, when a value cannot be
        converted, a ``RejectOrder`` carrying the reason (off_tick, off_lot, invalid_*)."""
        try:
            lots = self.qty_to_lots(qty)
            ticks = None if price is None else self.price_to_ticks(price)
            stop_ticks = None if stop_price is None else self._stop_ticks(stop_price)
            min_lots = None if min_qty is None else self.qty_to_lots(min_qty)
        except GridError as exc:
            return RejectOrder(order_id=order_id, account_id=account_id, symbol=symbol,
                               reason=exc.reason)
        return NewOrder(order_id=order_id, account_id=account_id, symbol=symbol,
                        side=_member(Side, side), qty=lots, type=_member(OrderType, type),
                        time_in_force=_member(TimeInForce, time_in_force), price=ticks,
                        stop_price=stop_ticks, post_only=post_only,
                        stp=None if stp is None else _member(StpMode, stp), min_qty=min_lots)

    def _stop_ticks(self, stop_price):
        try:
            return self.price_to_ticks(stop_price)
        except GridError as exc:
            if exc.reason == RejectReason.OFF_TICK:
                raise
            raise GridError(RejectReason.INVALID_STOP_PRICE, str(exc)) from None


def _member(enum, value):
    """The enum member for a wire string (so the engine takes its fast path), or the value
    unchanged when it is not one (the engine then rejects it with a reason)."""
    try:
        return enum(value)
    except (ValueError, TypeError):
        return value


def _plain(value):
    """No positive exponent: a 10-unit tick gives Decimal("50"), not Decimal("5E+1")."""
    return value.quantize(_ONE) if value.as_tuple().exponent > 0 else value


_ONE = Decimal(1)
