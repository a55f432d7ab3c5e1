"""Minimal baseline order book for ``bench/engine.py``: the yardstick, not a product.

A dict of deques per price level plus a heap of prices per side; limit, market and
cancel only; no events, no validation, no self-trade prevention, no level totals.
Price-time priority, trades at the resting price. A cancel only zeroes the order
(lazy deletion): matching drops dead entries when it reaches them, and a level and its
heap entry go away together when matching empties the level.

Its dark pool is as minimal: a FIFO deque of midpoint orders per side, matched only when
one enters, against the head orders whose cap allows the midpoint of the top heap keys
(dead entries included), no minimum quantity, never re-checked when the midpoint moves.
"""

from collections import deque
from heapq import heappop, heappush

BUY = "buy"
SELL = "sell"


class BaselineOrder:
    __slots__ = ("order_id", "side", "price", "qty")

    def __init__(self, order_id, side, price, qty):
        self.order_id = order_id
        self.side = side
        self.price = price
        self.qty = qty


class BaselineBook:
    def __init__(self):
        self.bids = {}  # price -> deque of orders
        self.asks = {}
        self.bid_heap = []  # -price (max-heap)
        self.ask_heap = []  # price (min-heap)
        self.orders = {}  # order_id -> open order
        self.dark_buys = deque()  # midpoint orders, arrival order (price: the cap or None)
        self.dark_sells = deque()

    def apply(self, cmd):
        """cmd: ("limit", id, side, price, qty) | ("market", id, side, qty) | ("cancel", id)
        | ("midpoint", id, side, cap, qty)."""
        kind = cmd[0]
        if kind == "limit":
            self.limit(cmd[1], cmd[2], cmd[3], cmd[4])
        elif kind == "cancel":
            self.cancel(cmd[1])
        elif kind == "market":
            self.market(cmd[1], cmd[2], cmd[3])
        else:
            self.midpoint(cmd[1], cmd[2], cmd[3], cmd[4])

    def midpoint(self, order_id, side, cap, qty):
        if self.bid_heap and self.ask_heap:
            mid2 = self.ask_heap[0] - self.bid_heap[0]
            if side == BUY:
                if cap is None or 2 * cap >= mid2:
                    qty = self._dark_take(self.dark_sells, qty, mid2, 1)
            elif cap is None or 2 * cap <= mid2:
                qty = self._dark_take(self.dark_buys, qty, mid2, -1)
        if qty:
            order = BaselineOrder(order_id, side, cap, qty)
            (self.dark_buys if side == BUY else self.dark_sells).append(order)
            self.orders[order_id] = order

    def _dark_take(self, queue, qty, mid2, sign):
        """Fill against the head of a dark queue while its caps allow mid2 (sign: 1 for sells)."""
        orders = self.orders
        while qty and queue:
            order = queue[0]
            have = order.qty
            if not have:
                queue.popleft()
                continue
            cap = order.price
            if cap is not None and sign * (2 * cap - mid2) > 0:
                break
            if have <= qty:
                qty -= have
                order.qty = 0
                queue.popleft()
                del orders[order.order_id]
            else:
                order.qty = have - qty
                qty = 0
        return qty

    def limit(self, order_id, side, price, qty):
        if side == BUY:
            qty = self._take(self.asks, self.ask_heap, qty, price, 1)
            if qty:
                self._rest(self.bids, self.bid_heap, -price, BaselineOrder(order_id, side, price, qty))
        else:
            qty = self._take(self.bids, self.bid_heap, qty, -price, -1)
            if qty:
                self._rest(self.asks, self.ask_heap, price, BaselineOrder(order_id, side, price, qty))

    def market(self, order_id, side, qty):
        if side == BUY:
            self._take(self.asks, self.ask_heap, qty, None, 1)
        else:
            self._take(self.bids, self.bid_heap, qty, None, -1)

    def cancel(self, order_id):
        order = self.orders.pop(order_id, None)
        if order is not None:
            order.qty = 0

    def _rest(self, levels, heap, heap_key, order):
        price = order.price
        queue = levels.get(price)
        if queue is None:
            queue = levels[price] = deque()
            heappush(heap, heap_key)
        queue.append(order)
        self.orders[order.order_id] = order

    def _take(self, levels, heap, qty, limit_key, sign):
        """Fill up to qty against one side; heap keys are sign*price; return what is left."""
        orders = self.orders
        while qty and heap:
            key = heap[0]
            if limit_key is not None and key > limit_key:
                break
            queue = levels[key * sign]
            while qty and queue:
                order = queue[0]
                have = order.qty
                if not have:
                    queue.popleft()
                elif have <= qty:
                    qty -= have
                    order.qty = 0
                    queue.popleft()
                    del orders[order.order_id]
                else:
                    order.qty = have - qty
                    qty = 0
            if not queue:
                del levels[key * sign]
                heappop(heap)
        return qty

    def open_orders(self):
        """Open orders, bids best first then asks best first, each level oldest first."""
        out = []
        for levels, heap in ((self.bids, self.bid_heap), (self.asks, self.ask_heap)):
            sign = -1 if levels is self.bids else 1
            for key in sorted(heap):
                out.extend(o for o in levels.get(key * sign, ()) if o.qty)
        return out
