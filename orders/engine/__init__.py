"""Pure-Python matching engine: commands in, events out, no I/O, no framework imports.

See docs/engine.md for the interface and the semantics decisions. ``COMPILED`` is True
when the mypyc-built extension modules are loaded (``python -m orders.build_engine``).
"""

from . import entry as _entry
from .book import L1, L2
from .codec import GridError, InstrumentSpec
from .commands import Cancel, CancelAll, Command, ExpireDay, Halt, NewOrder, OpenOrder, RejectOrder, Replace, Resume
from .engine import MatchingEngine
from .events import (
                       Accepted,
                       BookLevel,
                       Canceled,
                       CancelRejected,
                       Event,
                       Expired,
                       MidpointTrade,
                       Rejected,
                       Replaced,
                       StatusChanged,
                       StopTriggered,
                       Trade,
)
from .recovery import RestoreError
from .types import CancelReason, ExpireReason, OrderType, RejectReason, Side, StpMode, TimeInForce, TradingStatus

COMPILED = not _entry.__file__.endswith(".py")

__all__ = [
    "Accepted", "BookLevel", "COMPILED", "Cancel", "CancelAll", "CancelReason", "CancelRejected",
    "Canceled", "Command", "Event", "ExpireDay", "ExpireReason", "Expired", "GridError", "Halt",
    "InstrumentSpec", "L1", "L2", "MatchingEngine", "MidpointTrade", "NewOrder", "OpenOrder", "OrderType",
    "RejectOrder", "RejectReason", "Rejected", "Replace", "Replaced", "RestoreError", "Resume",
    "Side", "StatusChanged", "StopTriggered", "StpMode", "TimeInForce", "Trade", "TradingStatus",
]
