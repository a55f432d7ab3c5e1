"""Events: the only output of the engine.

Every event carries ``symbol`` and ``seq``: each symbol numbers its events 1, 2, 3...
without gaps (events about an unknown symbol carry seq 0 and belong to no stream).
``kind`` is a stable snake_case name for serialisation. Events are slotted dataclasses,
not frozen ones, because the frozen ``__init__`` is several times slower and events are
built on the hot path; treat them as immutable.

The events built on the hot path (Accepted, Trade, MidpointTrade, Canceled, Expired, BookLevel) spell
out their positional ``__init__`` (``init=False``): it is what the generated one would be,
and when the engine is compiled with mypyc it becomes a native constructor (the generated
one stays interpreted). ``kind`` is set after each class (mypyc would otherwise hand a
class-body ``ClassVar`` to ``dataclass`` as a field: mypyc/mypyc#1122). Fields that carry
command input unchecked (an account id is an opaque key; a refused order id may be
anything) are typed ``Any``: a compiled engine enforces the other annotations.

Quantities: ``qty`` on Canceled/Expired is what that event took off the order, and
``leaves_qty`` what is still open afterwards; an order is closed when an event reports
``leaves_qty == 0`` for it (Trade: ``maker_leaves_qty``/``taker_leaves_qty``).
"""

from dataclasses import dataclass
from typing import Any, ClassVar

from .types import Side


class _Kind:
    __slots__ = ()
    kind: ClassVar[str] = "event"


@dataclass(slots=True)
class Event(_Kind):
    symbol: str
    seq: int


@dataclass(slots=True, init=False)
class Accepted(Event):
    """The order entered the engine (a stop order is now held until triggered). It does
    not echo the order's fields: the command that carried them is the record."""

    order_id: int
    account_id: Any

    def __init__(self, symbol: str, seq: int, order_id: int, account_id: Any) -> None:
        self.symbol = symbol
        self.seq = seq
        self.order_id = order_id
        self.account_id = account_id


@dataclass(slots=True)
class Rejected(Event):
    """A command was refused and changed nothing. ``request`` says which: "new" (an order;
    the order is then closed as rejected), "cancel_all", "halt", "resume", "expire_day"."""

    order_id: Any
    account_id: Any
    reason: str
    request: str = "new"


@dataclass(slots=True)
class CancelRejected(Event):
    """A Cancel (``request="cancel"``) or Replace (``"replace"``) was refused; the order,
    if it exists, is unchanged."""

    order_id: Any
    account_id: Any
    request: str
    reason: str


@dataclass(slots=True, init=False)
class Trade(Event):
    """One fill, at the maker's price. ``trade_id`` counts the symbol's trades from 1."""

    trade_id: int
    price: int
    qty: int
    aggressor_side: Side
    maker_order_id: int
    maker_account_id: Any
    taker_order_id: int
    taker_account_id: Any
    maker_leaves_qty: int
    taker_leaves_qty: int

    def __init__(self, symbol: str, seq: int, trade_id: int, price: int, qty: int,
                 aggressor_side: Side, maker_order_id: int, maker_account_id: Any,
                 taker_order_id: int, taker_account_id: Any, maker_leaves_qty: int,
                 taker_leaves_qty: int) -> None:
        self.symbol = symbol
        self.seq = seq
        self.trade_id = trade_id
        self.price = price
        self.qty = qty
        self.aggressor_side = aggressor_side
        self.maker_order_id = maker_order_id
        self.maker_account_id = maker_account_id
        self.taker_order_id = taker_order_id
        self.taker_account_id = taker_account_id
        self.maker_leaves_qty = maker_leaves_qty
        self.taker_leaves_qty = taker_leaves_qty


@dataclass(slots=True, init=False)
class MidpointTrade(Event):
    """One fill in the dark pool, between two midpoint orders, at the lit midpoint.
    ``half_ticks`` is the price in half ticks (best bid + best ask, in ticks), so a midpoint
    half a tick off the grid stays exact. Trade ids are shared with lit trades. The order
    that arrived later is the taker (``aggressor_side`` is its side)."""

    trade_id: int
    half_ticks: int
    qty: int
    aggressor_side: Side
    maker_order_id: int
    maker_account_id: Any
    taker_order_id: int
    taker_account_id: Any
    maker_leaves_qty: int
    taker_leaves_qty: int

    def __init__(self, symbol: str, seq: int, trade_id: int, half_ticks: int, qty: int,
                 aggressor_side: Side, maker_order_id: int, maker_account_id: Any,
                 taker_order_id: int, taker_account_id: Any, maker_leaves_qty: int,
                 taker_leaves_qty: int) -> None:
        self.symbol = symbol
        self.seq = seq
        self.trade_id = trade_id
        self.half_ticks = half_ticks
        self.qty = qty
        self.aggressor_side = aggressor_side
        self.maker_order_id = maker_order_id
        self.maker_account_id = maker_account_id
        self.taker_order_id = taker_order_id
        self.taker_account_id = taker_account_id
        self.maker_leaves_qty = maker_leaves_qty
        self.taker_leaves_qty = taker_leaves_qty


@dataclass(slots=True, init=False)
class Canceled(Event):
    """``qty`` was canceled; ``leaves_qty > 0`` only for an STP decrement of the larger order."""

    order_id: int
    account_id: Any
    side: Side
    qty: int
    leaves_qty: int
    reason: str

    def __init__(self, symbol: str, seq: int, order_id: int, account_id: Any, side: Side, qty:
                 int, leaves_qty: int, reason: str) -> None:
        self.symbol = symbol
        self.seq = seq
        self.order_id = order_id
        self.account_id = account_id
        self.side = side
        self.qty = qty
        self.leaves_qty = leaves_qty
        self.reason = reason


@dataclass(slots=True, init=False)
class Expired(Event):
    """The open ``qty`` of the order expired; the order is closed."""

    order_id: int
    account_id: Any
    side: Side
    qty: int
    reason: str

    def __init__(self, symbol: str, seq: int, order_id: int, account_id: Any, side: Side, qty:
                 int, reason: str) -> None:
        self.symbol = symbol
        self.seq = seq
        self.order_id = order_id
        self.account_id = account_id
        self.side = side
        self.qty = qty
        self.reason = reason


@dataclass(slots=True)
class Replaced(Event):
    """A Replace took effect. ``qty`` is the new total quantity, ``leaves_qty`` the new open
    quantity; ``priority_kept`` is False when the order went to the back of its level."""

    order_id: int
    account_id: Any
    side: Side
    old_qty: int
    qty: int
    old_price: int | None
    price: int | None
    leaves_qty: int
    priority_kept: bool


@dataclass(slots=True)
class StopTriggered(Event):
    """A held stop order was triggered by a trade at ``trigger_price`` and enters now."""

    order_id: int
    account_id: Any
    side: Side
    stop_price: int
    trigger_price: int


@dataclass(slots=True, init=False)
class BookLevel(Event):
    """The total open quantity at (side, price) is now ``qty``; 0 removes the level."""

    side: Side
    price: int
    qty: int

    def __init__(self, symbol: str, seq: int, side: Side, price: int, qty: int) -> None:
        self.symbol = symbol
        self.seq = seq
        self.side = side
        self.price = price
        self.qty = qty


@dataclass(slots=True)
class StatusChanged(Event):
    """The symbol was halted or resumed."""

    status: str


Accepted.kind = "accepted"
Rejected.kind = "rejected"
CancelRejected.kind = "cancel_rejected"
Trade.kind = "trade"
MidpointTrade.kind = "midpoint_trade"
Canceled.kind = "canceled"
Expired.kind = "expired"
Replaced.kind = "replaced"
StopTriggered.kind = "stop_triggered"
BookLevel.kind = "book_level"
StatusChanged.kind = "status_changed"
