"""Pure-Python matching engine: commands in, events out, no I/O, no framework imports.

See docs/engine.md for the interface and the semantics decisions.
"""

from .book import L1, L2
from .codec import GridError, InstrumentSpec
from .commands import (Cancel, CancelAll, Command, ExpireDay, Halt, NewOrder, OpenOrder,
                       RejectOrder, Replace, Resume)
from .engine import MatchingEngine
from .events import (Accepted, BookLevel, Canceled, CancelRejected, Event, Expired, Rejected,
                     Replaced, StatusChanged, StopTriggered, Trade)
from .recovery import RestoreError
from .types import (CancelReason, ExpireReason, OrderType, RejectReason, Side, StpMode,
                    TimeInForce, TradingStatus)

__all__ = [
    "Accepted", "BookLevel", "Cancel", "CancelAll", "CancelReason", "CancelRejected", "Canceled",
    "Command", "Event", "ExpireDay", "ExpireReason", "Expired", "GridError", "Halt",
    "InstrumentSpec", "L1", "L2", "MatchingEngine", "NewOrder", "OpenOrder", "OrderType",
    "RejectOrder", "RejectReason", "Rejected", "Replace", "Replaced", "RestoreError", "Resume",
    "Side", "StatusChanged", "StopTriggered", "StpMode", "TimeInForce", "Trade", "TradingStatus",
]
