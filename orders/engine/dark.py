"""The dark pool: midpoint orders, matched with each other at the lit midpoint.

A midpoint order is never in a level: it is not in depth, quotes or ``BookLevel`` events.
Each book keeps its midpoint orders in ``Book.dark`` (order id -> order, arrival order) and
one sorted list per side of ``(priority key, arrival, order id)``, best first:

* price-time priority: a buy's key is ``-cap`` (uncapped: ``-UNCAPPED``, the best), a sell's
  ``cap`` (uncapped: ``-UNCAPPED``), ties by arrival. Every eligible order trades at the same
  price (the midpoint), so the price part only says who is most willing.
* eligible at midpoint ``m`` (in half ticks: best bid + best ask): a buy whose cap is None or
  ``2 * cap >= m``, a sell whose cap is None or ``2 * cap <= m``: a prefix of each list.
* a pair (buy, sell) can trade when their fill, the smaller open quantity, reaches both
  orders' minimum (``min(min_qty, leaves)``: an order whose open quantity fell below its
  minimum may still fill the rest).

``match`` takes the first such pair in (buy priority, sell priority) order, prints a
``MidpointTrade`` (the order that arrived later is the taker, its STP mode applies when both
belong to one account), and starts again, until no pair can trade. It runs only while the
symbol trades and the lit book has both sides, uncrossed. It runs when a midpoint order
enters or is replaced, and after every other command that moved the lit midpoint
(``recheck``): after any command no pair of eligible midpoint orders can trade.
Dark trades neither set the lit last price nor trigger stops.
"""

from bisect import bisect_left, insort
from typing import TYPE_CHECKING, Any, Final

from .book import Book, DarkOrder
from .events import Canceled, Event, Expired, MidpointTrade
from .types import CancelReason, ExpireReason, OrderType, Side, StpMode, TimeInForce

if TYPE_CHECKING:
    from .engine import MatchingEngine

BUY: Final = Side.BUY
MIDPOINT: Final = OrderType.MIDPOINT
IOC: Final = TimeInForce.IOC
CANCEL_RESTING: Final = StpMode.CANCEL_RESTING
CANCEL_INCOMING: Final = StpMode.CANCEL_INCOMING
DECREMENT: Final = StpMode.DECREMENT
SELF_TRADE: Final = CancelReason.SELF_TRADE
UNCAPPED: Final = 1 << 62


def make_dark(order_id: int, account_id: Any, symbol: str, side: Side, tif: TimeInForce,
              cap: int | None, qty: int, leaves: int, stp: StpMode | None,
              min_qty: int | None) -> DarkOrder:
    o = DarkOrder()
    o.order_id, o.account_id, o.symbol, o.side = order_id, account_id, symbol, side
    o.tif, o.price, o.qty, o.leaves = tif, cap, qty, leaves
    o.type, o.stp, o.post_only = MIDPOINT, stp, False
    o.min_qty = min_qty
    o.arrival = 0
    return o


def _entry(o: DarkOrder) -> tuple[int, int, int]:
    cap = o.price
    if cap is None:
        key = -UNCAPPED
    else:
        key = -cap if o.side is BUY else cap
    return key, o.arrival, o.order_id


def add(book: Book, o: DarkOrder) -> None:
    """Queue ``o`` at the back of its priority (a new arrival)."""
    book.arrival += 1
    o.arrival = book.arrival
    book.dark[o.order_id] = o
    insort(book.dark_buys if o.side is BUY else book.dark_sells, _entry(o))


def remove(book: Book, o: DarkOrder) -> None:
    del book.dark[o.order_id]
    side = book.dark_buys if o.side is BUY else book.dark_sells
    del side[bisect_left(side, _entry(o))]


def lit_mid(book: Book) -> int:
    """The lit midpoint in half ticks (bid + ask), or 0 when a side is empty or crossed."""
    if book.bid_keys and book.ask_keys:
        bid = book.bid_keys[-1]
        ask = -book.ask_keys[-1]
        if bid < ask:
            return bid + ask
    return 0


def recheck(eng: "MatchingEngine", book: Book, ev: list[Event]) -> None:
    """After a command that may have moved the lit midpoint (the caller checked that both
    dark sides hold orders): match the pool if the midpoint changed since it last did."""
    if book.halted:
        return
    m = lit_mid(book)
    if m != book.dark_mid:
        book.dark_mid = m
        if m:
            _run(eng, book, ev, m)


def match(eng: "MatchingEngine", book: Book, ev: list[Event]) -> None:
    """Match the pool at the current midpoint (a midpoint order entered or changed)."""
    if book.halted:
        return
    m = book.dark_mid = lit_mid(book)
    if m and book.dark_buys and book.dark_sells:
        _run(eng, book, ev, m)


def _eligible(o: DarkOrder, m: int) -> bool:
    cap = o.price
    if cap is None:
        return True
    return 2 * cap >= m if o.side is BUY else 2 * cap <= m


def _fits(b: DarkOrder, s: DarkOrder) -> bool:
    """Does the fill of this pair reach both orders' minimum fill quantity?"""
    bl, sl = b.leaves, s.leaves
    fill = bl if bl < sl else sl
    mq = b.min_qty
    if mq is not None and fill < (mq if mq < bl else bl):
        return False
    mq = s.min_qty
    return mq is None or fill >= (mq if mq < sl else sl)


def _pair(book: Book, m: int) -> tuple[DarkOrder, DarkOrder] | None:
    dark = book.dark
    sells = book.dark_sells
    if not _eligible(dark[sells[0][2]], m):
        return None  # the best sell's cap does not allow the midpoint: no sell's does
    for _, _, bid in book.dark_buys:
        b = dark[bid]
        if not _eligible(b, m):
            return None
        for _, _, sid in sells:
            s = dark[sid]
            if not _eligible(s, m):
                break
            if _fits(b, s):
                return b, s
    return None


def _run(eng: "MatchingEngine", book: Book, ev: list[Event], m: int) -> None:
    while book.dark_buys and book.dark_sells:
        pair = _pair(book, m)
        if pair is None:
            return
        b, s = pair
        if b.arrival > s.arrival:
            taker, maker = b, s
        else:
            taker, maker = s, b
        if taker.account_id == maker.account_id:
            _self_trade(eng, book, ev, taker, maker)
            continue
        fill = b.leaves if b.leaves < s.leaves else s.leaves
        maker.leaves -= fill
        taker.leaves -= fill
        book.trade_seq += 1
        book.seq += 1
        ev.append(MidpointTrade(book.symbol, book.seq, book.trade_seq, m, fill, taker.side,
                                maker.order_id, maker.account_id, taker.order_id,
                                taker.account_id, maker.leaves, taker.leaves))
        for o in (maker, taker):
            if not o.leaves:
                _close(eng, book, o)


def _close(eng: "MatchingEngine", book: Book, o: DarkOrder) -> None:
    remove(book, o)
    del eng.orders[o.order_id]
    eng.closed.add(o.order_id)


def _cancel(eng: "MatchingEngine", book: Book, ev: list[Event], o: DarkOrder, qty: int) -> None:
    o.leaves -= qty
    book.seq += 1
    ev.append(Canceled(book.symbol, book.seq, o.order_id, o.account_id, o.side, qty, o.leaves,
                       SELF_TRADE))
    if not o.leaves:
        _close(eng, book, o)


def _self_trade(eng: "MatchingEngine", book: Book, ev: list[Event], taker: DarkOrder,
                maker: DarkOrder) -> None:
    """The pair belongs to one account: the taker's STP mode (the engine's by default)."""
    stp = taker.stp or eng.stp_mode
    if stp is DECREMENT:
        dec = maker.leaves if maker.leaves < taker.leaves else taker.leaves
        _cancel(eng, book, ev, maker, dec)
        _cancel(eng, book, ev, taker, dec)
        return
    if stp is not CANCEL_INCOMING:  # cancel_resting, cancel_both
        _cancel(eng, book, ev, maker, maker.leaves)
    if stp is not CANCEL_RESTING:  # cancel_incoming, cancel_both
        _cancel(eng, book, ev, taker, taker.leaves)


def enter(eng: "MatchingEngine", book: Book, ev: list[Event], o: DarkOrder) -> None:
    """An accepted midpoint order: queue it, match the pool, expire an IOC remainder."""
    eng.orders[o.order_id] = o
    add(book, o)
    match(eng, book, ev)
    if o.leaves and o.tif is IOC:
        book.seq += 1
        ev.append(Expired(book.symbol, book.seq, o.order_id, o.account_id, o.side, o.leaves,
                          ExpireReason.IOC))
        o.leaves = 0
        _close(eng, book, o)


__all__ = ["add", "enter", "lit_mid", "make_dark", "match", "recheck", "remove"]
