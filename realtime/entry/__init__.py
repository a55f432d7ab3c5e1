"""Order entry on the WebSocket (`place`, `cancel`, `replace`, `cancel_all`): see
realtime/entry/protocol.py for the protocol and docs/realtime.md for how it is built."""

from realtime.entry.protocol import ENTRY_ACTIONS
from realtime.entry.session import OrderEntry, entry_threads

__all__ = ["ENTRY_ACTIONS", "OrderEntry", "entry_threads"]
