"""Order entry: ``apply`` (the engine's entry point), validating and executing NewOrders.

``apply`` has a fast path for the orders that dominate real flow (an already normalised
GTC/DAY limit order or non-FOK market order, default STP mode, no stop, not post-only)
and sends every other NewOrder through ``validate`` and the generic ``run_live``; likewise
the cancel of a resting order is written out here and every other Cancel goes to
``amend.cancel``. Both paths give the same events; the property tests drive both.

Why the unusual style: on CPython 3.11 each Python frame costs about as much as a dozen
simple bytecodes, so the hot paths sit in one function, and enum members are kept in
``Final`` module constants (an ``Enum.MEMBER`` lookup costs ~60 ns; compiled, a constant is a
C static). The book's own operations (``new_level``, ``unlink``, ``drop_level``) are called,
not copied: compiled with mypyc (``orders/build_engine.py``), the build the speed target is
measured on, those calls are native and cost next to nothing (docs/engine.md).
"""

from typing import TYPE_CHECKING, Any, Final

from . import dark
from .amend import cancel
from .book import Book, Order, make_order
from .commands import Cancel, NewOrder
from .events import Accepted, BookLevel, Canceled, Event, Expired
from .matching import match, run_live, run_triggers
from .rejects import reject, unknown_symbol
from .types import CancelReason, ExpireReason, OrderType, RejectReason, Side, StpMode, TimeInForce

if TYPE_CHECKING:
    from .engine import MatchingEngine

BUY: Final = Side.BUY
SELL: Final = Side.SELL
LIMIT: Final = OrderType.LIMIT
MARKET: Final = OrderType.MARKET
STOP: Final = OrderType.STOP
STOP_LIMIT: Final = OrderType.STOP_LIMIT
MIDPOINT: Final = OrderType.MIDPOINT
GTC: Final = TimeInForce.GTC
DAY: Final = TimeInForce.DAY
IOC: Final = TimeInForce.IOC
FOK: Final = TimeInForce.FOK
EXPIRE_MARKET: Final = ExpireReason.MARKET
USER: Final = CancelReason.USER
R: Final = RejectReason


def _coerce(enum, value):
    """An enum member from a member or its wire string; None if neither."""
    if value.__class__ is enum:
        return value
    try:
        return enum(value)
    except (ValueError, TypeError):
        return None


def _positive_int(value):
    return type(value) is int and value > 0


def apply(eng: "MatchingEngine", c: Any) -> list[Event]:
    """``MatchingEngine.apply``: the NewOrder and Cancel fast paths inline, others dispatched.

    Interpreted, it is bound as the engine's method itself (engine.py), so the hot paths
    are a single Python frame; compiled, ``MatchingEngine.apply`` calls it.
    """
    kind = type(c)
    if kind is not NewOrder:
        if kind is not Cancel:
            return eng._dispatch(c)
        # a Cancel: the common case (a resting order, named by id and symbol) is written
        # out here; the rest (held stops, refusals) goes through ``amend.cancel``
        oid = c.order_id
        try:
            order = eng.orders.get(oid)
        except TypeError:
            return cancel(eng, c)
        acc = c.account_id
        if (order is None or order.symbol != c.symbol
                or (acc is not None and acc != order.account_id)):
            return cancel(eng, c)
        book = eng.books[c.symbol]
        if (book.stops and oid in book.stops) or (book.dark and oid in book.dark):
            return cancel(eng, c)
        del eng.orders[oid]
        eng.closed.add(oid)
        leaves = order.leaves
        # typed Any: the NewOrder path below reuses these names for unchecked command fields
        side: Any = order.side
        price: Any = order.price
        total = book.unlink(order)
        sym: Any = book.symbol
        seq = book.seq + 1
        book.seq = seq + 1
        ev: list[Event] = [Canceled(sym, seq, oid, order.account_id, side, leaves, 0, USER),
                           BookLevel(sym, seq + 1, side, price, total)]
        if book.dark_buys and book.dark_sells:
            dark.recheck(eng, book, ev)
        return ev
    sym = c.symbol
    oid = c.order_id
    try:
        book = eng.books[sym]
        if oid in eng.orders or oid in eng.closed:
            return []  # idempotent: a known order id is ignored
    except (KeyError, TypeError):
        return _bad_target(eng, c)
    side = c.side
    price = c.price
    if c.type is LIMIT:
        tif = c.time_in_force
        if not (type(price) is int and price > 0 and (tif is GTC or tif is DAY)):
            return _general(eng, book, c)
        if side is BUY:
            opp = book.ask_keys
            thr = -price
        elif side is SELL:
            opp = book.bid_keys
            thr = price
        else:
            return _general(eng, book, c)
        market = False
    elif c.type is MARKET and price is None:
        tif = c.time_in_force
        if tif is FOK or tif.__class__ is not TimeInForce:
            return _general(eng, book, c)
        if side is BUY:
            opp = book.ask_keys
        elif side is SELL:
            opp = book.bid_keys
        else:
            return _general(eng, book, c)
        thr = opp[0] if opp else 0  # crosses every level (see matching.threshold)
        market = True
    elif c.type is MIDPOINT:
        return _midpoint(eng, book, c)
    else:
        return _general(eng, book, c)
    qty = c.qty
    if not (type(qty) is int and qty > 0 and type(oid) is int and c.stp is None
            and c.stop_price is None and c.post_only is False and c.min_qty is None
            and not book.halted):
        return _general(eng, book, c)
    acc = c.account_id
    if market and not opp:  # a market order into an empty side
        return reject(eng, book, oid, acc, R.NO_LIQUIDITY)
    seq = book.seq + 1
    accepted = Accepted(sym, seq, oid, acc)
    if opp and opp[-1] >= thr:
        book.seq = seq
        ev = [accepted]
        leaves = match(eng, book, ev, side, oid, acc, qty, thr, eng.stp_mode)
        if not leaves:
            eng.closed.add(oid)
            if book.triggered:
                run_triggers(eng, book, ev)
            if book.dark_buys and book.dark_sells:
                dark.recheck(eng, book, ev)
            return ev
        seq = book.seq
        if market:  # the remainder of a market order expires
            seq += 1
            ev.append(Expired(sym, seq, oid, acc, side, leaves, EXPIRE_MARKET))
            book.seq = seq
            eng.closed.add(oid)
            if book.triggered:
                run_triggers(eng, book, ev)
            if book.dark_buys and book.dark_sells:
                dark.recheck(eng, book, ev)
            return ev
    else:
        ev = []
        leaves = qty
    # rest at the back of the level
    o = Order()
    o.order_id = oid
    o.account_id = acc
    o.symbol = sym
    o.side = side
    o.price = price
    o.qty = qty
    o.leaves = leaves
    o.tif = tif
    key = -thr
    levels = book.bid_levels if side is BUY else book.ask_levels
    lv = levels.get(key)
    if lv is None:
        lv = book.new_level(levels, book.bid_keys if side is BUY else book.ask_keys, key, price)
    o.level = lv
    lv.orders.append(o)
    total = lv.total = lv.total + leaves
    eng.orders[oid] = o
    seq += 1
    book.seq = seq
    e = BookLevel(sym, seq, side, price, total)
    if not ev:
        ev = [accepted, e]  # rested without trading: nothing can have triggered
    else:
        ev.append(e)
        if book.triggered:
            run_triggers(eng, book, ev)
    if book.dark_buys and book.dark_sells:
        dark.recheck(eng, book, ev)
    return ev


def _midpoint(eng: "MatchingEngine", book: Book, c: Any) -> list[Event]:
    """A midpoint order whose fields are already members and ints (what the codec builds) goes
    straight to the pool; anything else through ``validate`` (the same events either way)."""
    side, tif, qty, oid, cap, mq = c.side, c.time_in_force, c.qty, c.order_id, c.price, c.min_qty
    if not ((side is BUY or side is SELL) and (tif is GTC or tif is DAY or tif is IOC)
            and type(qty) is int and qty > 0 and type(oid) is int
            and (cap is None or (type(cap) is int and cap > 0))
            and (mq is None or (type(mq) is int and 0 < mq <= qty))
            and c.stp is None and c.stop_price is None and c.post_only is False
            and not book.halted):
        return _general(eng, book, c)
    book.seq += 1
    ev: list[Event] = [Accepted(book.symbol, book.seq, oid, c.account_id)]
    dark.enter(eng, book, ev, dark.make_dark(oid, c.account_id, book.symbol, side, tif, cap, qty,
                                             qty, None, mq))
    return ev


def _bad_target(eng, c):
    """The symbol is unknown, or the order id cannot even be looked up (unhashable)."""
    try:
        book = eng.books[c.symbol]
    except (KeyError, TypeError):
        return unknown_symbol(c.symbol, c.order_id, c.account_id)
    return reject(eng, book, c.order_id, c.account_id, R.INVALID_ORDER_ID)


def validate(eng, book, c):
    """(reason, side, type, tif, stp) for a NewOrder; reason None when it is acceptable.
    Checks run in this order: fields, then halted, then post-only and liquidity."""
    side = _coerce(Side, c.side)
    otype = _coerce(OrderType, c.type)
    tif = _coerce(TimeInForce, c.time_in_force)
    stp = eng.stp_mode if c.stp is None else _coerce(StpMode, c.stp)
    price, stop_price, post_only = c.price, c.stop_price, c.post_only
    reason = None
    if type(c.order_id) is not int:
        reason = R.INVALID_ORDER_ID
    elif side is None:
        reason = R.INVALID_SIDE
    elif otype is None:
        reason = R.INVALID_TYPE
    elif tif is None or (otype is MIDPOINT and tif is FOK):
        reason = R.INVALID_TIF
    elif not _positive_int(c.qty):
        reason = R.INVALID_QTY
    elif not (_positive_int(price) if otype in (LIMIT, STOP_LIMIT) else
              price is None or (otype is MIDPOINT and _positive_int(price))):
        reason = R.INVALID_PRICE
    elif not (_positive_int(stop_price) if otype in (STOP, STOP_LIMIT) else stop_price is None):
        reason = R.INVALID_STOP_PRICE
    elif c.min_qty is not None and not (otype is MIDPOINT and _positive_int(c.min_qty)
                                        and c.min_qty <= c.qty):
        reason = R.INVALID_MIN_QTY
    elif post_only is not False and (post_only is not True or otype is not LIMIT
                                     or tif not in (GTC, DAY)):
        reason = R.INVALID_POST_ONLY
    elif stp is None:
        reason = R.INVALID_STP
    elif book.halted:
        reason = R.HALTED
    elif otype is LIMIT and post_only and book.crosses(side, price):
        reason = R.POST_ONLY_WOULD_TRADE
    elif otype is MARKET and not (book.ask_keys if side is BUY else book.bid_keys):
        reason = R.NO_LIQUIDITY
    return reason, side, otype, tif, stp


def _general(eng, book, c):
    """Every NewOrder the fast path does not take: full validation, then run_live."""
    reason, side, otype, tif, stp = validate(eng, book, c)
    oid, acc, sym = c.order_id, c.account_id, book.symbol
    if reason is not None:
        return reject(eng, book, oid, acc, reason)
    book.seq += 1
    ev = [Accepted(sym, book.seq, oid, acc)]
    own_stp = None if c.stp is None else stp  # None: the engine default, stored for free
    if otype is LIMIT or otype is MARKET:
        order = make_order(oid, acc, sym, side, otype, tif, c.price, c.qty, c.qty, own_stp,
                           c.post_only)
        run_live(eng, book, ev, order, otype is MARKET)
    elif otype is MIDPOINT:
        dark.enter(eng, book, ev, dark.make_dark(oid, acc, sym, side, tif, c.price, c.qty,
                                                 c.qty, own_stp, c.min_qty))
        return ev
    else:
        stop = make_order(oid, acc, sym, side, otype, tif, c.price, c.qty, c.qty, own_stp,
                          False, c.stop_price)
        eng.orders[oid] = stop
        if book.stop_elected(side, c.stop_price):
            book.triggered.append((stop, book.last))
        else:
            book.hold_stop(stop)
    if book.triggered:
        run_triggers(eng, book, ev)
    if book.dark_buys and book.dark_sells:
        dark.recheck(eng, book, ev)
    return ev


def reject_order(eng, c):
    """A RejectOrder command (an order refused at the Decimal edge)."""
    oid = c.order_id
    try:
        book = eng.books[c.symbol]
    except (KeyError, TypeError):
        return unknown_symbol(c.symbol, oid, c.account_id)
    if type(oid) is int and (oid in eng.orders or oid in eng.closed):
        return []
    return reject(eng, book, oid, c.account_id, str(c.reason))


__all__ = ["apply", "reject_order", "validate"]
