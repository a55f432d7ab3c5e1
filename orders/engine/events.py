"""Events: the only output of the engine.

Every event carries ``symbol`` and ``seq``: each symbol numbers its events 1, 2, 3...
without gaps (events about an unknown symbol carry seq 0 and belong to no stream).
``kind`` is a stable snake_case name for serialisation. Events are slotted dataclasses,
not frozen ones, because the frozen ``__init__`` is several times slower and events are
built on the hot path; treat them as immutable.

Quantities: ``qty`` on Canceled/Expired is what that event took off the order, and
``leaves_qty`` what is still open afterwards; an order is closed when an event reports
``leaves_qty == 0`` for it (Trade: ``maker_leaves_qty``/``taker_leaves_qty``).
"""

from dataclasses import dataclass
from typing import ClassVar

from .types import Side


@dataclass(slots=True)
class Event:
    symbol: str
    seq: int
    kind: ClassVar[str] = "event"


@dataclass(slots=True)
class Accepted(Event):
    """The order entered the engine (a stop order is now held until triggered). It does
    not echo the order's fields: the command that carried them is the record."""

    order_id: int
    account_id: int
    kind: ClassVar[str] = "accepted"


@dataclass(slots=True)
class Rejected(Event):
    """A command was refused and changed nothing. ``request`` says which: "new" (an order;
    the order is then closed as rejected), "cancel_all", "halt", "resume", "expire_day"."""

    order_id: int | None
    account_id: int | None
    reason: str
    request: str = "new"
    kind: ClassVar[str] = "rejected"


@dataclass(slots=True)
class CancelRejected(Event):
    """A Cancel (``request="cancel"``) or Replace (``"replace"``) was refused; the order,
    if it exists, is unchanged."""

    order_id: int
    account_id: int | None
    request: str
    reason: str
    kind: ClassVar[str] = "cancel_rejected"


@dataclass(slots=True)
class Trade(Event):
    """One fill, at the maker's price. ``trade_id`` counts the symbol's trades from 1."""

    trade_id: int
    price: int
    qty: int
    aggressor_side: Side
    maker_order_id: int
    maker_account_id: int
    taker_order_id: int
    taker_account_id: int
    maker_leaves_qty: int
    taker_leaves_qty: int
    kind: ClassVar[str] = "trade"


@dataclass(slots=True)
class Canceled(Event):
    """``qty`` was canceled; ``leaves_qty > 0`` only for an STP decrement of the larger order."""

    order_id: int
    account_id: int
    side: Side
    qty: int
    leaves_qty: int
    reason: str
    kind: ClassVar[str] = "canceled"


@dataclass(slots=True)
class Expired(Event):
    """The open ``qty`` of the order expired; the order is closed."""

    order_id: int
    account_id: int
    side: Side
    qty: int
    reason: str
    kind: ClassVar[str] = "expired"


@dataclass(slots=True)
class Replaced(Event):
    """A Replace took effect. ``qty`` is the new total quantity, ``leaves_qty`` the new open
    quantity; ``priority_kept`` is False when the order went to the back of its level."""

    order_id: int
    account_id: int
    side: Side
    old_qty: int
    qty: int
    old_price: int | None
    price: int | None
    leaves_qty: int
    priority_kept: bool
    kind: ClassVar[str] = "replaced"


@dataclass(slots=True)
class StopTriggered(Event):
    """A held stop order was triggered by a trade at ``trigger_price`` and enters now."""

    order_id: int
    account_id: int
    side: Side
    stop_price: int
    trigger_price: int
    kind: ClassVar[str] = "stop_triggered"


@dataclass(slots=True)
class BookLevel(Event):
    """The total open quantity at (side, price) is now ``qty``; 0 removes the level."""

    side: Side
    price: int
    qty: int
    kind: ClassVar[str] = "book_level"


@dataclass(slots=True)
class StatusChanged(Event):
    """The symbol was halted or resumed."""

    status: str
    kind: ClassVar[str] = "status_changed"
