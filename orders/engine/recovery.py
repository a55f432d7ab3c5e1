"""Recovery: rebuild a book from open orders, and describe open orders as records.

The worker restores each symbol from the open orders in its database, in priority
order, before it processes pending commands. Nothing is matched and no event is
emitted; inconsistent input (a crossed book, a duplicate id, an order that cannot rest)
raises ``RestoreError`` because it means the system of record is wrong.
"""

from typing import Final

from . import dark
from .book import Book, DarkOrder, StopOrder, make_order
from .commands import OpenOrder
from .types import OrderType, Side, StpMode, TimeInForce

LIMIT: Final = OrderType.LIMIT
STOP: Final = OrderType.STOP
STOP_LIMIT: Final = OrderType.STOP_LIMIT
MIDPOINT: Final = OrderType.MIDPOINT
RESTING_TIF = (TimeInForce.GTC, TimeInForce.DAY)


class RestoreError(ValueError):
    pass


def snapshot(book, order, default_stp):
    """The ``OpenOrder`` record of an open order."""
    is_stop = isinstance(order, StopOrder)
    return OpenOrder(
        order_id=order.order_id, account_id=order.account_id, symbol=order.symbol,
        side=order.side, type=order.type, time_in_force=order.tif, qty=order.qty,
        leaves_qty=order.leaves, price=order.price,
        stop_price=order.stop_price if is_stop else None, post_only=order.post_only,
        stp=order.stp or default_stp, triggered=is_stop and order.order_id not in book.stops,
        min_qty=order.min_qty if isinstance(order, DarkOrder) else None)


def _positive(value):
    return type(value) is int and value > 0


def _enum(enum, value, what, oid):
    try:
        return enum(value)
    except (ValueError, TypeError):
        raise RestoreError(f"order {oid}: invalid {what} {value!r}") from None


def _order(symbol, rec, default_stp):
    oid = rec.order_id
    if type(oid) is not int:
        raise RestoreError(f"invalid order id {oid!r}")
    if rec.symbol != symbol:
        raise RestoreError(f"order {oid} belongs to {rec.symbol!r}, not {symbol!r}")
    if type(rec.account_id) is not int:
        raise RestoreError(f"order {oid}: invalid account id {rec.account_id!r}")
    side = _enum(Side, rec.side, "side", oid)
    otype = _enum(OrderType, rec.type, "type", oid)
    tif = _enum(TimeInForce, rec.time_in_force, "time in force", oid)
    stp = _enum(StpMode, rec.stp, "stp mode", oid)
    if stp is default_stp:
        stp = None  # stored as "the engine default": the leaner order class
    if not (_positive(rec.qty) and _positive(rec.leaves_qty) and rec.leaves_qty <= rec.qty):
        raise RestoreError(f"order {oid}: need 0 < leaves_qty <= qty")
    if otype is MIDPOINT:
        return _midpoint(symbol, rec, side, tif, stp), False
    if rec.min_qty is not None:
        raise RestoreError(f"order {oid}: only midpoint orders have a minimum quantity")
    held = otype in (STOP, STOP_LIMIT) and not rec.triggered
    rests = otype is LIMIT or (otype is STOP_LIMIT and rec.triggered)
    if not (held or rests):
        raise RestoreError(f"order {oid}: a {otype} order cannot be open")
    if rests and tif not in RESTING_TIF:
        raise RestoreError(f"order {oid}: a resting order cannot be {tif}")
    if otype is STOP:
        if rec.price is not None:
            raise RestoreError(f"order {oid}: a stop order has no limit price")
    elif not _positive(rec.price):
        raise RestoreError(f"order {oid}: invalid price {rec.price!r}")
    if rec.post_only and (otype is not LIMIT):
        raise RestoreError(f"order {oid}: only limit orders can be post-only")
    if otype is not LIMIT and not _positive(rec.stop_price):
        raise RestoreError(f"order {oid}: invalid stop price {rec.stop_price!r}")
    order = make_order(oid, rec.account_id, symbol, side, otype, tif, rec.price, rec.qty,
                       rec.leaves_qty, stp, bool(rec.post_only),
                       None if otype is LIMIT else rec.stop_price)
    return order, held


def _midpoint(symbol, rec, side, tif, stp):
    oid = rec.order_id
    if tif not in RESTING_TIF:
        raise RestoreError(f"order {oid}: a resting order cannot be {tif}")
    if rec.price is not None and not _positive(rec.price):
        raise RestoreError(f"order {oid}: invalid cap {rec.price!r}")
    if rec.stop_price is not None or rec.post_only or rec.triggered:
        raise RestoreError(f"order {oid}: a midpoint order has no stop and is not post-only")
    if rec.min_qty is not None and not (_positive(rec.min_qty) and rec.min_qty <= rec.qty):
        raise RestoreError(f"order {oid}: invalid min_qty {rec.min_qty!r}")
    return dark.make_dark(oid, rec.account_id, symbol, side, tif, rec.price, rec.qty,
                          rec.leaves_qty, stp, rec.min_qty)


def build_book(symbol, open_orders, engine_orders, default_stp, *, seq=0, trade_seq=0,
               last_price=None, halted=False):
    """A new ``Book`` holding ``open_orders`` (in priority order) and the list of orders.
    ``engine_orders`` is the engine's index, to refuse ids open in another symbol."""
    if not isinstance(symbol, str) or not symbol:
        raise RestoreError(f"symbol must be a non-empty string, got {symbol!r}")
    if type(seq) is not int or type(trade_seq) is not int or seq < 0 or trade_seq < 0:
        raise RestoreError("seq and trade_seq must be integers >= 0")
    if last_price is not None and not _positive(last_price):
        raise RestoreError(f"invalid last price {last_price!r}")
    book = Book(symbol)
    book.seq, book.trade_seq, book.last, book.halted = seq, trade_seq, last_price, bool(halted)
    restored = []
    seen = set()
    for rec in open_orders:
        order, held = _order(symbol, rec, default_stp)
        oid = order.order_id
        other = engine_orders.get(oid)
        if oid in seen or (other is not None and other.symbol != symbol):
            raise RestoreError(f"duplicate order id {oid}")
        seen.add(oid)
        if isinstance(order, DarkOrder):
            dark.add(book, order)
        elif held:
            book.hold_stop(order)
        else:
            book.insert(order)
        restored.append(order)
    if book.bid_keys and book.ask_keys and book.bid_keys[-1] >= -book.ask_keys[-1]:
        raise RestoreError(f"{symbol}: restored book is crossed")
    # dark_mid stays 0: the pool is matched again at the first command that checks it (it
    # finds nothing to do unless the original had a match pending, e.g. while halted)
    return book, restored
