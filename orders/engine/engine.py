"""``MatchingEngine``: commands in, events out, for many symbols, one book each.

The engine is deterministic (the same commands always give the same events, trade ids
included) and does no I/O, so the worker can log commands, replay them, and rebuild a
book from the database with ``restore``. ``apply`` never raises on a bad command: it
answers with a ``Rejected``/``CancelRejected`` event instead.

Idempotency: a ``NewOrder`` (or ``RejectOrder``) whose order id the engine has already
seen in its lifetime, open or closed, is *ignored*: ``apply`` returns ``[]``, changes
nothing and uses no sequence number, so a redelivered command is harmless.
"""

from types import FunctionType
from typing import Any

from . import amend, dark, entry
from .book import Book, Order
from .commands import Cancel, CancelAll, ExpireDay, Halt, RejectOrder, Replace, Resume
from .events import Event, Rejected, StatusChanged
from .recovery import build_book, snapshot
from .rejects import unknown_symbol
from .types import RejectReason, StpMode, TradingStatus


class MatchingEngine:
    """In-memory books of several symbols. Single writer: call it from one thread.

    ``stp_mode`` is the self-trade prevention mode of orders that do not name one.
    """

    stp_mode: StpMode
    books: dict[str, Book]
    orders: dict[int, Order]
    closed: set[Any]

    def __init__(self, stp_mode: Any = StpMode.CANCEL_RESTING) -> None:
        self.stp_mode = StpMode(stp_mode)
        self.books = {}  # symbol -> Book, in the order symbols were added
        self.orders = {}  # order_id -> open Order (resting or held stop), all symbols
        self.closed = set()  # order ids seen and no longer open (idempotency)

    # -- commands ------------------------------------------------------------------------

    def apply(self, command: Any) -> list[Event]:
        """Apply one command, return its events in order. The work is done in entry.py,
        where the NewOrder and Cancel hot paths are. (Interpreted, this
        method is replaced by ``entry.apply`` itself: see the end of the module.)"""
        return entry.apply(self, command)

    def _dispatch(self, command):
        """Every command but NewOrder."""
        handler = _HANDLERS.get(type(command))
        if handler is None:
            symbol = getattr(command, "symbol", "")
            return [Rejected(symbol if isinstance(symbol, str) else "", 0,
                             getattr(command, "order_id", None), None,
                             RejectReason.INVALID_COMMAND, "unknown")]
        return handler(self, command)

    def add_symbol(self, symbol):
        """Open an empty book for ``symbol`` (no-op if it exists)."""
        if not isinstance(symbol, str) or not symbol:
            raise ValueError(f"symbol must be a non-empty string, got {symbol!r}")
        if symbol not in self.books:
            self.books[symbol] = Book(symbol)

    def restore(self, symbol, open_orders, *, seq=0, trade_seq=0, last_price=None,
                halted=False):
        """Rebuild a symbol's book from its open orders in priority order (``OpenOrder``
        records, as ``open_orders`` gives them) without matching or emitting anything.
        ``seq``/``trade_seq`` continue the symbol's event and trade numbering; the
        symbol's previous state, if any, is replaced. Raises ``RestoreError`` (a
        ValueError) on inconsistent input and then changes nothing."""
        book, restored = build_book(symbol, open_orders, self.orders, self.stp_mode, seq=seq,
                                    trade_seq=trade_seq, last_price=last_price, halted=halted)
        for oid in [oid for oid, o in self.orders.items() if o.symbol == symbol]:
            del self.orders[oid]
        for order in restored:
            self.closed.discard(order.order_id)
            self.orders[order.order_id] = order
        self.books[symbol] = book

    # -- queries -------------------------------------------------------------------------

    def symbols(self):
        return list(self.books)

    def seq(self, symbol):
        """Sequence number of the symbol's last event."""
        return self.books[symbol].seq

    def trade_seq(self, symbol):
        """Id of the symbol's last trade."""
        return self.books[symbol].trade_seq

    def is_halted(self, symbol):
        return self.books[symbol].halted

    def l1(self, symbol):
        """``L1``: best bid and ask with their quantities, last trade price, seq."""
        return self.books[symbol].l1()

    def l2(self, symbol, depth=10):
        """``L2``: ``depth`` levels a side (None: all), best first, with the seq it is valid at."""
        return self.books[symbol].l2(depth)

    def knows(self, order_id):
        """Has this order id been seen (open or closed)? A NewOrder for it would be ignored."""
        return order_id in self.orders or order_id in self.closed

    def open_order(self, order_id):
        """The open order with this id as an ``OpenOrder``, or None."""
        order = self.orders.get(order_id)
        return None if order is None else snapshot(self.books[order.symbol], order, self.stp_mode)

    def open_orders(self, symbol):
        """Open orders of a symbol in priority order: bids best first, asks best first
        (each level oldest first), then held stops in trigger order, then midpoint orders in
        arrival order. ``restore`` takes it."""
        book = self.books[symbol]
        return [snapshot(book, o, self.stp_mode)
                for o in book.resting() + list(book.stops.values()) + list(book.dark.values())]

    # -- trading status ------------------------------------------------------------------

    def _set_halted(self, symbol, halted):
        try:
            book = self.books[symbol]
        except (KeyError, TypeError):
            return unknown_symbol(symbol, None, None, "halt" if halted else "resume")
        if book.halted == halted:
            return []
        book.halted = halted
        book.seq += 1
        status = TradingStatus.HALTED if halted else TradingStatus.TRADING
        ev = [StatusChanged(book.symbol, book.seq, status)]
        if not halted and book.dark_buys and book.dark_sells:
            dark.recheck(self, book, ev)  # the lit midpoint may have moved while halted
        return ev


# Interpreted, ``entry.apply`` is a plain function and binds as the method itself, which
# saves a Python frame per command (~4%). Compiled, it is a native function that does not
# bind (and the compiled class cannot be changed), so the method above stays.
if isinstance(entry.apply, FunctionType):
    setattr(MatchingEngine, "apply", entry.apply)

_HANDLERS = {
    Cancel: amend.cancel,  # normally taken directly by apply
    Replace: amend.replace,
    CancelAll: amend.cancel_all,
    ExpireDay: amend.expire_day,
    Halt: lambda eng, c: eng._set_halted(c.symbol, True),
    Resume: lambda eng, c: eng._set_halted(c.symbol, False),
    RejectOrder: entry.reject_order,
}
