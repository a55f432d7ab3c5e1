"""Changing open orders: cancel, replace, cancel all, end-of-day expiry.

Cancels and replaces are refused with a ``CancelRejected`` event (reason
``unknown_order``) when the order is not open: never seen, already closed, in another
symbol, or owned by another account than the one the command names. A replace keeps time
priority only when the price is unchanged and the quantity does not grow.
"""

from typing import Final

from . import dark
from .book import clone
from .events import BookLevel, Canceled, CancelRejected, Expired, Replaced
from .matching import run_live, run_triggers
from .rejects import unknown_symbol
from .types import CancelReason, ExpireReason, OrderType, RejectReason, Side, TimeInForce

USER: Final = CancelReason.USER
BUY: Final = Side.BUY
DAY: Final = TimeInForce.DAY
STOP: Final = OrderType.STOP
MIDPOINT: Final = OrderType.MIDPOINT
R: Final = RejectReason


def _find(eng, c, request):
    """(book, order, None) for the target of a Cancel/Replace, or (None, None, events)."""
    oid = c.order_id
    try:
        book = eng.books[c.symbol]
    except (KeyError, TypeError):
        sym = c.symbol if isinstance(c.symbol, str) else ""
        return None, None, [CancelRejected(sym, 0, oid, c.account_id, request,
                                           R.UNKNOWN_SYMBOL)]
    try:
        order = eng.orders.get(oid)
    except TypeError:
        order = None
    if (order is None or order.symbol != book.symbol
            or (c.account_id is not None and c.account_id != order.account_id)):
        book.seq += 1
        return None, None, [CancelRejected(book.symbol, book.seq, oid, c.account_id, request,
                                           R.UNKNOWN_ORDER)]
    return book, order, None


def take_off(eng, book, order, ev, cls, reason):
    """Close an open order: a Canceled/Expired event for its open quantity, then the
    level change if it was resting (a held stop has no level)."""
    oid = order.order_id
    leaves = order.leaves
    del eng.orders[oid]
    eng.closed.add(oid)
    held = oid in book.stops
    is_dark = oid in book.dark  # a midpoint order: no level either
    if held:
        book.release_stop(order)
        order.leaves = 0
    elif is_dark:
        dark.remove(book, order)
        order.leaves = 0
        held = True
    else:
        total = book.unlink(order)
    seq = book.seq + 1
    if cls is Canceled:
        ev.append(Canceled(book.symbol, seq, oid, order.account_id, order.side, leaves, 0,
                           reason))
    else:
        ev.append(Expired(book.symbol, seq, oid, order.account_id, order.side, leaves, reason))
    if not held:
        seq += 1
        ev.append(BookLevel(book.symbol, seq, order.side, order.price, total))
    book.seq = seq


def cancel(eng, c):
    """Cancel one order. ``apply`` handles the common case (a resting order, named by id
    and symbol) itself and sends the rest here (held stops, refusals); this function still
    handles every case."""
    oid = c.order_id
    try:
        order = eng.orders.get(oid)
        book = eng.books[c.symbol]
    except (KeyError, TypeError):
        order = None
    acc = c.account_id
    if (order is None or order.symbol != c.symbol
            or (acc is not None and acc != order.account_id)):
        return _find(eng, c, "cancel")[2]
    ev = []
    if (book.stops and oid in book.stops) or oid in book.dark:
        take_off(eng, book, order, ev, Canceled, USER)
        return ev
    del eng.orders[oid]
    eng.closed.add(oid)
    leaves = order.leaves
    side = order.side
    price = order.price
    total = book.unlink(order)
    sym = book.symbol
    seq = book.seq + 1
    ev.append(Canceled(sym, seq, oid, order.account_id, side, leaves, 0, USER))
    seq += 1
    ev.append(BookLevel(sym, seq, side, price, total))
    book.seq = seq
    if book.dark_buys and book.dark_sells:
        dark.recheck(eng, book, ev)
    return ev


def replace(eng, c):
    book, order, ev = _find(eng, c, "replace")
    if ev is not None:
        return ev
    qty = order.qty if c.qty is None else c.qty
    price = order.price if c.price is None else c.price
    held = order.order_id in book.stops
    reason = None
    if book.halted:
        reason = R.HALTED
    elif not (type(qty) is int and qty > 0):
        reason = R.INVALID_QTY
    elif c.price is not None and (order.type is STOP or not (type(price) is int and price > 0)):
        reason = R.INVALID_PRICE
    elif order.leaves + qty - order.qty <= 0:
        reason = R.INVALID_QTY  # the new total does not exceed what is already done
    elif not held and order.post_only and book.crosses(order.side, price):
        reason = R.POST_ONLY_WOULD_TRADE
    if reason is not None:
        book.seq += 1
        return [CancelRejected(book.symbol, book.seq, order.order_id, c.account_id, "replace",
                               reason)]
    keep = price == order.price and qty <= order.qty
    old_qty, old_price = order.qty, order.price
    leaves = order.leaves + qty - order.qty
    book.seq += 1
    ev = [Replaced(book.symbol, book.seq, order.order_id, order.account_id, order.side,
                   old_qty, qty, old_price, price, leaves, keep)]
    if order.type is MIDPOINT:
        if not keep:
            dark.remove(book, order)
        order.qty, order.leaves, order.price = qty, leaves, price
        if not keep:
            dark.add(book, order)  # back of its priority
        dark.match(eng, book, ev)
    elif held:
        if not keep:
            book.release_stop(order)
        order.qty, order.leaves, order.price = qty, leaves, price
        if not keep:
            book.hold_stop(order)  # back of the trigger queue
    elif keep:
        order.qty = qty
        if leaves != order.leaves:
            total = book.reduce(order, order.leaves - leaves)
            book.seq += 1
            ev.append(BookLevel(book.symbol, book.seq, order.side, price, total))
    else:
        moved = clone(order)  # the old object stays behind as a dead queue entry
        total = book.unlink(order)
        book.seq += 1
        ev.append(BookLevel(book.symbol, book.seq, order.side, old_price, total))
        del eng.orders[order.order_id]
        moved.qty, moved.leaves, moved.price = qty, leaves, price
        run_live(eng, book, ev, moved, False)  # may trade if the new price crosses
        if book.triggered:
            run_triggers(eng, book, ev)
        if book.dark_buys and book.dark_sells:
            dark.recheck(eng, book, ev)
    return ev


def _grouped(eng, symbol, pick):
    """Open orders chosen by ``pick``, grouped by symbol (engine order), by order id."""
    chosen = sorted((o for o in eng.orders.values()
                     if (symbol is None or o.symbol == symbol) and pick(o)),
                    key=lambda o: o.order_id)
    for book in eng.books.values():
        mine = [o for o in chosen if o.symbol == book.symbol]
        if mine:
            yield book, mine


def _check_symbol(eng, symbol, acc, request):
    if symbol is None:
        return None
    try:
        eng.books[symbol]
        return None
    except (KeyError, TypeError):
        return unknown_symbol(symbol, None, acc, request)


def cancel_all(eng, c):
    acc = c.account_id
    ev = _check_symbol(eng, c.symbol, acc, "cancel_all")
    if ev is not None:
        return ev
    ev = []
    for book, mine in _grouped(eng, c.symbol, lambda o: o.account_id == acc):
        for order in mine:
            take_off(eng, book, order, ev, Canceled, USER)
        if book.dark_buys and book.dark_sells:
            dark.recheck(eng, book, ev)
    return ev


def expire_day(eng, c):
    ev = _check_symbol(eng, c.symbol, None, "expire_day")
    if ev is not None:
        return ev
    ev = []
    for book, mine in _grouped(eng, c.symbol, lambda o: o.tif is DAY):
        for order in mine:
            take_off(eng, book, order, ev, Expired, ExpireReason.DAY)
        if book.dark_buys and book.dark_sells:
            dark.recheck(eng, book, ev)
    return ev
