"""The private stream of each account: its `order_update`, `account` and `position` messages, each
with a `seq` growing by exactly one per account, stored by the engine worker in the transaction of
the batch that caused them (orders/worker/private.py) and read back after a seq by the WebSocket
resume, REST `GET orders/updates/` and the FIX drop copy (selectors). docs/realtime.md, "Private
stream", has the design."""

from orders.private.messages import PRIVATE_TYPES, PrivateMessage
from orders.private.selectors import PrivateEvents, private_events_after, private_seq
from orders.private.services import private_events_prune

__all__ = ["PRIVATE_TYPES", "PrivateEvents", "PrivateMessage", "private_events_after", "private_events_prune",
           "private_seq"]
