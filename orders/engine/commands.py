"""Commands: the only inputs of ``MatchingEngine.apply``, plus the ``OpenOrder`` record.

Commands are frozen, keyword-only, slotted dataclasses: cheap, hashable, and
impossible to mutate after they were logged or put on the bus. Prices are integer
ticks and quantities integer lots (see ``codec`` for the Decimal edge). The engine
validates every field itself and never raises on a bad command.
"""

from dataclasses import dataclass

from .types import OrderType, Side, StpMode, TimeInForce


@dataclass(frozen=True, slots=True, kw_only=True)
class NewOrder:
    """Enter an order. ``price`` is the limit (limit, stop_limit; an optional cap for midpoint);
    ``stop_price`` the trigger (stop, stop_limit). ``stp`` None means the engine's default
    self-trade mode. ``min_qty`` (midpoint only) is the smallest fill the order accepts."""

    order_id: int
    account_id: int
    symbol: str
    side: Side
    qty: int
    type: OrderType = OrderType.LIMIT
    time_in_force: TimeInForce = TimeInForce.GTC
    price: int | None = None
    stop_price: int | None = None
    post_only: bool = False
    stp: StpMode | None = None
    min_qty: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel:
    """Cancel one open order (resting or a held stop). ``account_id``, when given, must own it."""

    order_id: int
    symbol: str
    account_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelAll:
    """Cancel every open order of an account, in every symbol or only ``symbol``."""

    account_id: int
    symbol: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Replace:
    """Change an open order. ``qty`` is the new *total* order quantity (filled part included,
    as in FIX and Alpaca); ``price`` the new limit price. None keeps the current value."""

    order_id: int
    symbol: str
    qty: int | None = None
    price: int | None = None
    account_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpireDay:
    """End of session: expire every open DAY order of ``symbol`` (None: every symbol)."""

    symbol: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Halt:
    symbol: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resume:
    symbol: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectOrder:
    """An order refused before it reached the book (e.g. off the tick grid, see
    ``codec.InstrumentSpec.new_order``). The engine answers with a sequenced ``Rejected``
    event and remembers the order id, so the rejection is part of the symbol's stream."""

    order_id: int
    account_id: int
    symbol: str
    reason: str


Command = NewOrder | Cancel | CancelAll | Replace | ExpireDay | Halt | Resume | RejectOrder


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenOrder:
    """An open order as the engine holds it: the output of ``open_order``/``open_orders`` and
    the input of ``restore``. ``qty`` is the total order quantity, ``leaves_qty`` what is still
    open. ``triggered`` is True for a stop_limit order that was triggered and now rests.
    ``min_qty`` is a midpoint order's minimum fill quantity (None: any)."""

    order_id: int
    account_id: int
    symbol: str
    side: Side
    type: OrderType
    time_in_force: TimeInForce
    qty: int
    leaves_qty: int
    price: int | None = None
    stop_price: int | None = None
    post_only: bool = False
    stp: StpMode = StpMode.CANCEL_RESTING
    triggered: bool = False
    min_qty: int | None = None
