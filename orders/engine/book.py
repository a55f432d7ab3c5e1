"""The order book of one symbol: price levels, held stops, and read-only snapshots.

Layout, chosen for speed and memory (see docs/engine.md for the figures):

* A resting order is a ``__slots__`` object (no per-order dict).
* Each side is a dict ``key -> Level`` plus a sorted list of keys whose *last* element is
  the best price. Bids are keyed by price and asks by ``-price``, so both sides share one
  rule: an aggressor with threshold ``thr`` crosses a level while ``key >= thr``.
* A level is a FIFO deque of orders plus its open total. Cancels in the middle of a
  level are lazy: the order's ``leaves`` drops to 0 and matching skips it later, so a
  cancel is O(1) whatever the queue length; a level compacts itself when more than two
  thirds of its queue is dead, and a level whose total reaches 0 is dropped (its object
  is kept for reuse).
"""

from bisect import bisect_left, bisect_right, insort
from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from .types import OrderType, Side, StpMode, TimeInForce

BUY: Final = Side.BUY
SELL: Final = Side.SELL
SPARE_LEVELS: Final = 64


class Order:
    """An open limit order. ``qty`` is the total order quantity, ``leaves`` its open part;
    ``leaves == 0`` marks an order that is closed (or a dead entry in a level queue).

    Nine slots and no ``__init__`` (``Order()`` then slot stores is the cheapest way to
    build an object on CPython 3.11). The rarely used attributes are class defaults here
    and real slots in ``FlexOrder``; ``stp`` None means the engine's default mode.
    ``level`` is the ``Level`` the order rests in (set by whoever queues it; a cancel
    goes straight to it); it is unset on a held stop.
    """

    __slots__ = ("order_id", "account_id", "symbol", "side", "price", "qty", "leaves", "tif",
                 "level")
    order_id: int
    account_id: Any  # an opaque key
    symbol: str
    side: Side
    price: int | None  # None for a market order or a stop (market) order
    qty: int
    leaves: int
    tif: TimeInForce
    level: "Level"
    type: OrderType = OrderType.LIMIT
    stp: StpMode | None = None
    post_only: bool = False


class FlexOrder(Order):
    """A limit order with a non-default type, STP mode or post-only flag."""

    __slots__ = ("type", "stp", "post_only")


class DarkOrder(FlexOrder):
    """A midpoint order: never in a level; ``price`` is its cap (None: uncapped);
    ``arrival`` its time priority; ``min_qty`` the smallest fill it accepts (None: any)."""

    __slots__ = ("min_qty", "arrival")
    min_qty: int | None
    arrival: int


class StopOrder(FlexOrder):
    """A stop or stop-limit order; ``arrival`` orders held stops for triggering."""

    __slots__ = ("stop_price", "arrival")
    stop_price: int
    arrival: int


def make_order(order_id: int, account_id: Any, symbol: str, side: Side, otype: OrderType,
               tif: TimeInForce, price: int | None, qty: int, leaves: int,
               stp: StpMode | None = None, post_only: bool = False,
               stop_price: int | None = None) -> Order:
    """Build an order object of the leanest class that can hold it."""
    o: Order
    if stp is None and not post_only and otype is OrderType.LIMIT and stop_price is None:
        o = Order()
    else:
        if stop_price is not None:
            s = StopOrder()
            s.stop_price = stop_price
            s.arrival = 0
            f: FlexOrder = s
        else:
            f = FlexOrder()
        f.type, f.stp, f.post_only = otype, stp, post_only
        o = f
    o.order_id, o.account_id, o.symbol, o.side = order_id, account_id, symbol, side
    o.tif, o.price, o.qty, o.leaves = tif, price, qty, leaves
    return o


def clone(order: Order) -> Order:
    """A fresh copy, for an order that loses priority (the old object stays dead in its queue).
    The copy gets its level when it is queued."""
    if isinstance(order, StopOrder):
        copy = make_order(order.order_id, order.account_id, order.symbol, order.side,
                          order.type, order.tif, order.price, order.qty, order.leaves,
                          order.stp, order.post_only, order.stop_price)
        assert isinstance(copy, StopOrder)
        copy.arrival = order.arrival
        return copy
    return make_order(order.order_id, order.account_id, order.symbol, order.side, order.type,
                      order.tif, order.price, order.qty, order.leaves, order.stp,
                      order.post_only)


class Level:
    """Orders at one price in time priority; ``total`` is the open quantity of the live ones."""

    __slots__ = ("price", "total", "dead", "orders")
    price: int
    total: int
    dead: int
    orders: deque[Order]

    def __init__(self, price: int) -> None:
        self.price = price
        self.total = 0
        self.dead = 0
        self.orders = deque()


@dataclass(frozen=True, slots=True)
class L1:
    symbol: str
    seq: int
    bid: int | None
    bid_qty: int
    ask: int | None
    ask_qty: int
    last: int | None


@dataclass(frozen=True, slots=True)
class L2:
    """Depth, best first, as (price, qty) pairs; valid right after event ``seq``."""

    symbol: str
    seq: int
    bids: tuple[tuple[int, int], ...]
    asks: tuple[tuple[int, int], ...]


class Book:
    """State of one symbol. Mutated only by the engine and the matching functions."""

    __slots__ = ("symbol", "seq", "trade_seq", "last", "halted", "bid_levels", "bid_keys",
                 "ask_levels", "ask_keys", "stops", "buy_stops", "sell_stops", "arrival",
                 "triggered", "spare", "dark", "dark_buys", "dark_sells", "dark_mid")
    symbol: str
    seq: int
    trade_seq: int
    last: int | None
    halted: bool
    bid_levels: dict[int, Level]
    bid_keys: list[int]
    ask_levels: dict[int, Level]
    ask_keys: list[int]
    stops: dict[int, StopOrder]
    buy_stops: list[tuple[int, int, int]]
    sell_stops: list[tuple[int, int, int]]
    arrival: int
    triggered: deque[tuple[StopOrder, int]]
    spare: list[Level]
    dark: dict[int, DarkOrder]
    dark_buys: list[tuple[int, int, int]]
    dark_sells: list[tuple[int, int, int]]
    dark_mid: int

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.seq = 0  # last event sequence number of this symbol
        self.trade_seq = 0  # last trade id
        self.last = None  # last trade price
        self.halted = False
        self.bid_levels = {}  # price -> Level
        self.bid_keys = []  # sorted prices, best (highest) last
        self.ask_levels = {}  # -price -> Level
        self.ask_keys = []  # sorted -prices, best (lowest price) last
        self.stops = {}  # order_id -> held StopOrder, in arrival order
        self.buy_stops = []  # sorted (stop_price, arrival, order_id)
        self.sell_stops = []
        self.arrival = 0  # arrival counter of held stops
        self.triggered = deque()  # (StopOrder, trigger price) waiting to enter
        self.spare = []  # emptied Level objects kept for reuse (a level is born and dies
        # at the touch all the time; a Level with its deque costs ~300 ns to build)
        self.dark = {}  # order_id -> midpoint order, in arrival order (see dark.py)
        self.dark_buys = []  # sorted (priority key, arrival, order_id), best first
        self.dark_sells = []
        self.dark_mid = 0  # the lit midpoint (bid + ask, ticks) the pool was last matched at

    # -- resting orders ---------------------------------------------------------------

    def insert(self, order: Order) -> int:
        """Append ``order`` at the back of its price level; return the level's new total."""
        price = order.price
        assert price is not None  # a resting order has a limit price
        if order.side is BUY:
            levels, keys, key = self.bid_levels, self.bid_keys, price
        else:
            levels, keys, key = self.ask_levels, self.ask_keys, -price
        level = levels.get(key)
        if level is None:
            level = self.new_level(levels, keys, key, price)
        level.orders.append(order)
        order.level = level
        level.total += order.leaves
        return level.total

    def new_level(self, levels: dict[int, Level], keys: list[int], key: int,
                  price: int) -> Level:
        """Create the empty level ``key`` of one side (``levels``, ``keys``)."""
        if self.spare:
            level = self.spare.pop()
            level.price = price
        else:
            level = Level(price)
        levels[key] = level
        if not keys or key > keys[-1]:
            keys.append(key)
        else:
            insort(keys, key)
        return level

    def drop_level(self, levels: dict[int, Level], keys: list[int], key: int) -> None:
        """Remove the (now empty) level ``key`` of one side."""
        level = levels.pop(key)
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]
        if len(self.spare) < SPARE_LEVELS:
            if level.orders:  # dead entries left behind by lazy cancels
                level.orders.clear()
                level.dead = 0
            self.spare.append(level)

    def unlink(self, order: Order) -> int:
        """Take a resting order off its level (it becomes dead); return the level's new total."""
        price = order.price
        assert price is not None
        if order.side is BUY:
            levels, keys, key = self.bid_levels, self.bid_keys, price
        else:
            levels, keys, key = self.ask_levels, self.ask_keys, -price
        level = order.level
        level.total -= order.leaves
        order.leaves = 0
        total = level.total
        if not total:
            self.drop_level(levels, keys, key)
            return 0
        queue = level.orders
        if queue[0] is order:
            queue.popleft()
        elif queue[-1] is order:
            queue.pop()
        else:
            self.mark_dead(level)
        return total

    @staticmethod
    def mark_dead(level: Level) -> None:
        """One more dead entry inside ``level``'s queue. The queue is compacted when dead
        entries pass two thirds of it: amortised O(1) per cancel, bounded memory."""
        dead = level.dead = level.dead + 1
        if dead > 48 and dead * 3 > len(level.orders) * 2:
            Book.compact(level)

    @staticmethod
    def compact(level: Level) -> None:
        level.orders = deque([o for o in level.orders if o.leaves])
        level.dead = 0

    def reduce(self, order: Order, delta: int) -> int:
        """Lower a resting order's open quantity in place (keeps priority); return new total."""
        level = order.level
        order.leaves -= delta
        level.total -= delta
        return level.total

    def crosses(self, side: Side, price: int) -> bool:
        """Would a limit order at ``price`` on ``side`` trade against the other side?"""
        if side is BUY:
            return bool(self.ask_keys) and -self.ask_keys[-1] <= price
        return bool(self.bid_keys) and self.bid_keys[-1] >= price

    # -- held stops -------------------------------------------------------------------

    def hold_stop(self, stop: StopOrder) -> None:
        self.arrival += 1
        stop.arrival = self.arrival
        self.stops[stop.order_id] = stop
        insort(self.buy_stops if stop.side is BUY else self.sell_stops,
               (stop.stop_price, stop.arrival, stop.order_id))

    def release_stop(self, stop: StopOrder) -> None:
        """Remove a held stop (canceled, expired or re-queued by a replace)."""
        del self.stops[stop.order_id]
        held = self.buy_stops if stop.side is BUY else self.sell_stops
        del held[bisect_left(held, (stop.stop_price, stop.arrival, stop.order_id))]

    def stop_elected(self, side: Side, stop_price: int) -> bool:
        """Does the last trade price already reach this stop?"""
        last = self.last
        if last is None:
            return False
        return last >= stop_price if side is BUY else last <= stop_price

    def check_stops(self, price: int) -> None:
        """A trade printed at ``price``: queue the stops it triggers, in arrival order."""
        hits = []
        buys = self.buy_stops
        if buys and buys[0][0] <= price:
            n = bisect_right(buys, (price, float("inf")))
            hits += buys[:n]
            del buys[:n]
        sells = self.sell_stops
        if sells and sells[-1][0] >= price:
            n = bisect_left(sells, (price,))
            hits += sells[n:]
            del sells[n:]
        if len(hits) > 1:
            hits.sort(key=lambda h: h[1])
        stops = self.stops
        for _, _, order_id in hits:
            self.triggered.append((stops.pop(order_id), price))

    # -- snapshots ---------------------------------------------------------------------

    def l1(self):
        bid = ask = None
        bid_qty = ask_qty = 0
        if self.bid_keys:
            level = self.bid_levels[self.bid_keys[-1]]
            bid, bid_qty = level.price, level.total
        if self.ask_keys:
            level = self.ask_levels[self.ask_keys[-1]]
            ask, ask_qty = level.price, level.total
        return L1(self.symbol, self.seq, bid, bid_qty, ask, ask_qty, self.last)

    def l2(self, depth=None):
        bk, ak = self.bid_keys, self.ask_keys
        if depth is not None:
            n = max(depth, 0)
            bk, ak = bk[max(len(bk) - n, 0):], ak[max(len(ak) - n, 0):]
        bids = tuple((lv.price, lv.total) for lv in map(self.bid_levels.__getitem__, reversed(bk)))
        asks = tuple((lv.price, lv.total) for lv in map(self.ask_levels.__getitem__, reversed(ak)))
        return L2(self.symbol, self.seq, bids, asks)

    def resting(self):
        """Resting orders in priority order: bids best first, then asks best first."""
        out = []
        for levels, keys in ((self.bid_levels, self.bid_keys), (self.ask_levels, self.ask_keys)):
            for key in reversed(keys):
                out.extend(o for o in levels[key].orders if o.leaves)
        return out

