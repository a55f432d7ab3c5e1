"""Refusals: the Rejected events of commands that change nothing."""

from .events import Rejected
from .types import RejectReason


def reject(eng, book, oid, acc, reason, request="new"):
    """A sequenced Rejected event; a rejected order id counts as seen (a resend is ignored)."""
    if request == "new" and type(oid) is int:
        eng.closed.add(oid)
    book.seq += 1
    return [Rejected(book.symbol, book.seq, oid, acc, reason, request)]


def unknown_symbol(symbol, oid, acc, request="new"):
    """An unknown symbol has no event stream: the Rejected event carries seq 0."""
    return [Rejected(symbol if isinstance(symbol, str) else "", 0, oid, acc,
                     RejectReason.UNKNOWN_SYMBOL, request)]
