"""Crossing: an aggressor against the book, self-trade prevention, FOK checks, stops.

These are plain functions over a ``Book`` and the engine's order index rather than
methods, so the hot loop in ``match`` works on local variables only (attribute and
global look-ups are what a pure-Python matcher spends its time on).
"""

from typing import TYPE_CHECKING, Any, Final

from .book import Book, Level, Order
from .events import BookLevel, Canceled, Event, Expired, StopTriggered, Trade
from .types import CancelReason, ExpireReason, OrderType, Side, StpMode, TimeInForce

BUY: Final = Side.BUY
SELL: Final = Side.SELL
STOP: Final = OrderType.STOP
GTC: Final = TimeInForce.GTC
DAY: Final = TimeInForce.DAY
IOC: Final = TimeInForce.IOC
FOK: Final = TimeInForce.FOK
CANCEL_RESTING: Final = StpMode.CANCEL_RESTING
CANCEL_BOTH: Final = StpMode.CANCEL_BOTH
DECREMENT: Final = StpMode.DECREMENT
SELF_TRADE: Final = CancelReason.SELF_TRADE
EXPIRE_FOK: Final = ExpireReason.FOK
EXPIRE_IOC: Final = ExpireReason.IOC
EXPIRE_MARKET: Final = ExpireReason.MARKET

if TYPE_CHECKING:
    from .engine import MatchingEngine


def threshold(side: Side, price: int | None, keys: list[int]) -> int:
    """Key threshold of an aggressor: it crosses a level of the other side (``keys``) while
    key >= thr (asks are keyed by -price, bids by price). A market order (price None)
    crosses all: its threshold is the lowest key (matching never adds a level there)."""
    if price is None:
        return keys[0] if keys else 0
    return -price if side is BUY else price


def match(eng: "MatchingEngine", book: Book, ev: list[Event], side: Side, oid: int, acc: Any,
          leaves: int, thr: int, stp: StpMode) -> int:
    """Trade an aggressor with the other side until it is done or no level crosses.

    Returns the aggressor's open quantity (0 also when STP canceled it). Emits one Trade
    per fill and one BookLevel per level touched, after that level's fills.
    """
    if side is BUY:
        levels, keys, maker_side = book.ask_levels, book.ask_keys, SELL
    else:
        levels, keys, maker_side = book.bid_levels, book.bid_keys, BUY
    orders = eng.orders
    close = eng.closed.add
    append = ev.append
    sym = book.symbol
    seq = book.seq
    tid = book.trade_seq
    while leaves and keys:
        key = keys[-1]
        if key < thr:
            break
        level = levels[key]
        price = level.price
        queue = level.orders
        total = start = level.total
        traded = False
        while leaves and total:
            maker = queue[0]
            ml = maker.leaves
            if not ml:  # lazily canceled entry
                queue.popleft()
                level.dead -= 1
                continue
            if maker.account_id == acc:
                level.total = total
                book.seq = seq
                leaves = self_trade(eng, book, ev, level, maker, oid, acc, side, leaves, stp)
                total = level.total
                seq = book.seq
                continue
            if ml <= leaves:
                fill = ml
                leaves -= ml
                ml = maker.leaves = 0
                queue.popleft()
                mid = maker.order_id
                del orders[mid]
                close(mid)
            else:
                fill = leaves
                ml -= leaves
                maker.leaves = ml
                leaves = 0
            total -= fill
            tid += 1
            seq += 1
            append(Trade(sym, seq, tid, price, fill, side, maker.order_id, maker.account_id, oid,
                         acc, ml, leaves))
            traded = True
        level.total = total
        if total != start:
            seq += 1
            append(BookLevel(sym, seq, maker_side, price, total))
            if not total:
                book.drop_level(levels, keys, key)
        if traded:
            book.last = price
            if book.stops:
                book.check_stops(price)
    book.seq = seq
    book.trade_seq = tid
    return leaves


def self_trade(eng: "MatchingEngine", book: Book, ev: list[Event], level: Level, maker: Order,
               oid: int, acc: Any, side: Side, leaves: int, stp: StpMode) -> int:
    """The aggressor met its own resting order (always the head of ``level``).
    Apply the STP mode and return the aggressor's new open quantity."""
    sym = book.symbol
    ml = maker.leaves
    if stp is DECREMENT:
        dec = ml if ml < leaves else leaves
        maker.leaves = ml - dec
        level.total -= dec
        if not maker.leaves:
            _close_head(eng, level, maker)
        leaves -= dec
        book.seq += 1
        ev.append(Canceled(sym, book.seq, maker.order_id, acc, maker.side, dec, ml - dec,
                           SELF_TRADE))
        book.seq += 1
        ev.append(Canceled(sym, book.seq, oid, acc, side, dec, leaves, SELF_TRADE))
        return leaves
    if stp is CANCEL_RESTING or stp is CANCEL_BOTH:
        maker.leaves = 0
        level.total -= ml
        _close_head(eng, level, maker)
        book.seq += 1
        ev.append(Canceled(sym, book.seq, maker.order_id, acc, maker.side, ml, 0, SELF_TRADE))
        if stp is CANCEL_RESTING:
            return leaves
    book.seq += 1  # CANCEL_INCOMING, CANCEL_BOTH
    ev.append(Canceled(sym, book.seq, oid, acc, side, leaves, 0, SELF_TRADE))
    return 0


def _close_head(eng: "MatchingEngine", level: Level, maker: Order) -> None:
    level.orders.popleft()
    del eng.orders[maker.order_id]
    eng.closed.add(maker.order_id)


def can_fill(book: Book, side: Side, acc: Any, qty: int, thr: int, stp: StpMode) -> bool:
    """FOK pre-check: could ``qty`` fill completely right now? Counts only what would
    really trade: own orders are skipped under cancel_resting (they would be canceled)
    and end the walk under the other STP modes (the aggressor would be cut there)."""
    levels, keys = (book.ask_levels, book.ask_keys) if side is BUY else (book.bid_levels,
                                                                         book.bid_keys)
    skip_own = stp is CANCEL_RESTING
    for i in range(len(keys) - 1, -1, -1):
        key = keys[i]
        if key < thr:
            return False
        for o in levels[key].orders:
            left = o.leaves
            if not left:
                continue
            if o.account_id == acc:
                if skip_own:
                    continue
                return False
            qty -= left
            if qty <= 0:
                return True
    return False


def run_live(eng: "MatchingEngine", book: Book, ev: list[Event], order: Order,
             market: bool) -> None:
    """Execute an accepted order that is not in the book: a new limit/market order, a
    triggered stop, or a re-priced replace. Matches it, then rests or expires the rest."""
    side = order.side
    oid = order.order_id
    keys = book.ask_keys if side is BUY else book.bid_keys
    thr = threshold(side, None if market else order.price, keys)
    leaves = order.leaves
    tif = order.tif
    stp = order.stp or eng.stp_mode
    if tif is FOK and not can_fill(book, side, order.account_id, leaves, thr, stp):
        _expire(book, ev, order, leaves, EXPIRE_FOK)
        eng.closed.add(oid)
        return
    if keys and keys[-1] >= thr:
        leaves = order.leaves = match(eng, book, ev, side, oid, order.account_id, leaves, thr,
                                      stp)
    if leaves:
        if market:
            reason = EXPIRE_MARKET
        elif tif is GTC or tif is DAY:
            total = book.insert(order)
            eng.orders[oid] = order
            book.seq += 1
            ev.append(BookLevel(book.symbol, book.seq, side, -thr if side is BUY else thr,
                                total))
            return
        else:
            reason = EXPIRE_IOC if tif is IOC else EXPIRE_FOK
        _expire(book, ev, order, leaves, reason)
    eng.closed.add(oid)


def _expire(book: Book, ev: list[Event], order: Order, leaves: int, reason: str) -> None:
    order.leaves = 0
    book.seq += 1
    ev.append(Expired(book.symbol, book.seq, order.order_id, order.account_id, order.side,
                      leaves, reason))


def run_triggers(eng: "MatchingEngine", book: Book, ev: list[Event]) -> None:
    """Enter triggered stops one by one in trigger order; their trades may queue more."""
    queue = book.triggered
    while queue:
        stop, price = queue.popleft()
        eng.orders.pop(stop.order_id, None)
        book.seq += 1
        ev.append(StopTriggered(book.symbol, book.seq, stop.order_id, stop.account_id,
                                stop.side, stop.stop_price, price))
        if stop.type is STOP:
            if not (book.ask_keys if stop.side is BUY else book.bid_keys):
                _expire(book, ev, stop, stop.leaves, ExpireReason.NO_LIQUIDITY)
                eng.closed.add(stop.order_id)
                continue
            run_live(eng, book, ev, stop, True)
        else:
            run_live(eng, book, ev, stop, False)


__all__ = ["can_fill", "match", "run_live", "run_triggers", "self_trade", "threshold"]
