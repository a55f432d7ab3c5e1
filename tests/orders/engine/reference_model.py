"""A deliberately plain reference model of the matching rules, for property tests.

Written from the rules in docs/engine.md, not from the engine: one flat list of
resting orders per symbol, best orders found by sorting, stops found by scanning.
Slow and obvious on purpose. It reports events as ``(kind, fields)`` pairs without
``seq`` and without book level changes (those are checked through invariants).

The dark pool is plain too: midpoint orders sit in the same flat list (``dark``), and after
every command the model looks for the first pair that can trade at the lit midpoint, by
sorting the eligible orders of each side, again and again until there is none.
"""

from .reference_dark import BUY, SELL, DarkPool


class ModelOrder:
    def __init__(self, oid, acct, symbol, side, otype, tif, qty, price, stop, post_only, stp,
                 min_qty=None):
        self.oid = oid
        self.acct = acct
        self.symbol = symbol
        self.side = side
        self.type = otype
        self.tif = tif
        self.qty = qty
        self.leaves = qty
        self.price = price
        self.stop = stop
        self.post_only = post_only
        self.stp = stp
        self.stamp = 0  # time priority in the book, or arrival among held stops
        self.held = False  # an untriggered stop
        self.resting = False
        self.dark = otype == "midpoint"
        self.min_qty = min_qty


class ModelSymbol:
    def __init__(self):
        self.orders = []  # open orders: resting and held stops
        self.last = None
        self.halted = False
        self.trades = 0


class ReferenceModel(DarkPool):
    def __init__(self, default_stp="cancel_resting"):
        self.default_stp = default_stp
        self.symbols = {}
        self.seen = set()
        self.clock = 0
        self.out = []

    # -- helpers ---------------------------------------------------------------------------

    def tick(self):
        self.clock += 1
        return self.clock

    def emit(self, kind, **fields):
        self.out.append((kind, fields))

    def find_open(self, oid):
        for sym in self.symbols.values():
            for o in sym.orders:
                if o.oid == oid:
                    return o
        return None

    def resting(self, sym, side):
        """Resting orders of one side, best first."""
        orders = [o for o in sym.orders if o.resting and o.side == side]
        if side == BUY:
            return sorted(orders, key=lambda o: (-o.price, o.stamp))
        return sorted(orders, key=lambda o: (o.price, o.stamp))

    def crosses(self, sym, side, price):
        other = self.resting(sym, SELL if side == BUY else BUY)
        if not other:
            return False
        return other[0].price <= price if side == BUY else other[0].price >= price

    def acceptable(self, side, limit, price):
        if limit is None:
            return True
        return price <= limit if side == BUY else price >= limit

    def close(self, sym, o):
        sym.orders.remove(o)
        o.resting = False
        o.held = False

    # -- commands --------------------------------------------------------------------------

    def new_order(self, symbol, oid, acct, side, otype, tif, qty, price=None, stop=None,
                  post_only=False, stp=None, min_qty=None):
        self.out = []
        if symbol not in self.symbols:
            self.emit("rejected", order_id=oid, account_id=acct, reason="unknown_symbol",
                      request="new")
            return self.out
        sym = self.symbols[symbol]
        if oid in self.seen:
            return self.out
        reason = None
        if otype == "midpoint" and tif == "fok":
            reason = "invalid_tif"
        elif qty <= 0:
            reason = "invalid_qty"
        elif otype == "midpoint" and price is not None and price <= 0:
            reason = "invalid_price"
        elif otype == "midpoint" and stop is not None:
            reason = "invalid_stop_price"
        elif otype in ("limit", "stop_limit") and (price is None or price <= 0):
            reason = "invalid_price"
        elif otype in ("market", "stop") and price is not None:
            reason = "invalid_price"
        elif otype in ("stop", "stop_limit") and (stop is None or stop <= 0):
            reason = "invalid_stop_price"
        elif otype in ("limit", "market") and stop is not None:
            reason = "invalid_stop_price"
        elif min_qty is not None and (otype != "midpoint" or not 1 <= min_qty <= qty):
            reason = "invalid_min_qty"
        elif post_only and (otype != "limit" or tif not in ("gtc", "day")):
            reason = "invalid_post_only"
        elif sym.halted:
            reason = "halted"
        elif otype == "limit" and post_only and self.crosses(sym, side, price):
            reason = "post_only_would_trade"
        elif otype == "market" and not self.resting(sym, SELL if side == BUY else BUY):
            reason = "no_liquidity"
        self.seen.add(oid)
        if reason:
            self.emit("rejected", order_id=oid, account_id=acct, reason=reason, request="new")
            return self.out
        o = ModelOrder(oid, acct, symbol, side, otype, tif, qty, price, stop, post_only,
                       stp or self.default_stp, min_qty)
        self.emit("accepted", order_id=oid, account_id=acct)
        queue = []
        if otype == "midpoint":
            o.stamp = self.tick()
            sym.orders.append(o)
            self.dark_match(sym)
            if o.leaves and tif == "ioc":
                self.emit("expired", order_id=oid, account_id=acct, side=side, qty=o.leaves,
                          reason="ioc")
                o.leaves = 0
                self.close(sym, o)
            return self.out
        if otype in ("limit", "market"):
            self.execute(sym, o, queue)
        else:
            sym.orders.append(o)
            if sym.last is not None and (sym.last >= stop if side == BUY else sym.last <= stop):
                queue.append((o, sym.last))
            else:
                o.held = True
                o.stamp = self.tick()
        self.run_queue(sym, queue)
        self.dark_match(sym)
        return self.out

    def run_queue(self, sym, queue):
        while queue:
            o, price = queue.pop(0)
            self.emit("stop_triggered", order_id=o.oid, account_id=o.acct, side=o.side,
                      stop_price=o.stop, trigger_price=price)
            sym.orders.remove(o)
            o.held = False
            if o.type == "stop" and not self.resting(sym, SELL if o.side == BUY else BUY):
                self.emit("expired", order_id=o.oid, account_id=o.acct, side=o.side,
                          qty=o.leaves, reason="no_liquidity")
                o.leaves = 0
                continue
            self.execute(sym, o, queue)

    def fillable(self, sym, o, limit):
        need = o.leaves
        for m in self.resting(sym, SELL if o.side == BUY else BUY):
            if not self.acceptable(o.side, limit, m.price):
                return False
            if m.acct == o.acct:
                if o.stp == "cancel_resting":
                    continue
                return False
            need -= m.leaves
            if need <= 0:
                return True
        return False

    def execute(self, sym, o, queue):
        """Match a live order (not in the book), then rest or expire what is left."""
        market = o.type in ("market", "stop")
        limit = None if market else o.price
        if o.tif == "fok" and not self.fillable(sym, o, limit):
            self.emit("expired", order_id=o.oid, account_id=o.acct, side=o.side, qty=o.leaves,
                      reason="fok")
            o.leaves = 0
            return
        while o.leaves > 0:
            makers = self.resting(sym, SELL if o.side == BUY else BUY)
            if not makers or not self.acceptable(o.side, limit, makers[0].price):
                break
            m = makers[0]
            if m.acct == o.acct:
                if not self.self_trade(sym, m, o):
                    break
                continue
            fill = min(m.leaves, o.leaves)
            m.leaves -= fill
            o.leaves -= fill
            sym.trades += 1
            self.emit("trade", trade_id=sym.trades, price=m.price, qty=fill,
                      aggressor_side=o.side, maker_order_id=m.oid, maker_account_id=m.acct,
                      taker_order_id=o.oid, taker_account_id=o.acct,
                      maker_leaves_qty=m.leaves, taker_leaves_qty=o.leaves)
            if m.leaves == 0:
                self.close(sym, m)
            sym.last = m.price
            self.trigger(sym, m.price, queue)
        if o.leaves > 0:
            if market:
                reason = "market"
            elif o.tif in ("ioc", "fok"):
                reason = o.tif
            else:
                o.resting = True
                o.stamp = self.tick()
                sym.orders.append(o)
                return
            self.emit("expired", order_id=o.oid, account_id=o.acct, side=o.side, qty=o.leaves,
                      reason=reason)
            o.leaves = 0

    def self_trade(self, sym, m, o):
        """Apply the aggressor's STP mode; return False when the aggressor stops."""
        mode = o.stp
        if mode == "decrement":
            d = min(m.leaves, o.leaves)
            m.leaves -= d
            o.leaves -= d
            self.emit("canceled", order_id=m.oid, account_id=m.acct, side=m.side, qty=d,
                      leaves_qty=m.leaves, reason="self_trade")
            self.emit("canceled", order_id=o.oid, account_id=o.acct, side=o.side, qty=d,
                      leaves_qty=o.leaves, reason="self_trade")
            if m.leaves == 0:
                self.close(sym, m)
            return o.leaves > 0
        if mode in ("cancel_resting", "cancel_both"):
            self.emit("canceled", order_id=m.oid, account_id=m.acct, side=m.side, qty=m.leaves,
                      leaves_qty=0, reason="self_trade")
            m.leaves = 0
            self.close(sym, m)
            if mode == "cancel_resting":
                return True
        self.emit("canceled", order_id=o.oid, account_id=o.acct, side=o.side, qty=o.leaves,
                  leaves_qty=0, reason="self_trade")
        o.leaves = 0
        return False

    def trigger(self, sym, price, queue):
        hit = [s for s in sym.orders if s.held and (
            (s.side == BUY and price >= s.stop) or (s.side == SELL and price <= s.stop))]
        for s in sorted(hit, key=lambda s: s.stamp):
            s.held = False  # still open until its turn in the queue comes
            queue.append((s, price))

    def cancel(self, symbol, oid, acct=None):
        self.out = []
        if symbol not in self.symbols:
            self.emit("cancel_rejected", order_id=oid, account_id=acct, request="cancel",
                      reason="unknown_symbol")
            return self.out
        o = self.find_open(oid)
        if o is None or o.symbol != symbol or (acct is not None and acct != o.acct):
            self.emit("cancel_rejected", order_id=oid, account_id=acct, request="cancel",
                      reason="unknown_order")
            return self.out
        self.emit("canceled", order_id=oid, account_id=o.acct, side=o.side, qty=o.leaves,
                  leaves_qty=0, reason="user")
        o.leaves = 0
        self.close(self.symbols[symbol], o)
        self.dark_match(self.symbols[symbol])
        return self.out

    def replace(self, symbol, oid, qty=None, price=None, acct=None):
        self.out = []
        if symbol not in self.symbols:
            self.emit("cancel_rejected", order_id=oid, account_id=acct, request="replace",
                      reason="unknown_symbol")
            return self.out
        sym = self.symbols[symbol]
        o = self.find_open(oid)
        if o is None or o.symbol != symbol or (acct is not None and acct != o.acct):
            self.emit("cancel_rejected", order_id=oid, account_id=acct, request="replace",
                      reason="unknown_order")
            return self.out
        new_qty = o.qty if qty is None else qty
        new_price = o.price if price is None else price
        new_leaves = o.leaves + new_qty - o.qty
        reason = None
        if sym.halted:
            reason = "halted"
        elif new_qty <= 0:
            reason = "invalid_qty"
        elif price is not None and (o.type == "stop" or price <= 0):
            reason = "invalid_price"
        elif new_leaves <= 0:
            reason = "invalid_qty"
        elif o.resting and o.post_only and self.crosses(sym, o.side, new_price):
            reason = "post_only_would_trade"
        if reason:
            self.emit("cancel_rejected", order_id=oid, account_id=acct, request="replace",
                      reason=reason)
            return self.out
        keep = new_price == o.price and new_qty <= o.qty
        self.emit("replaced", order_id=oid, account_id=o.acct, side=o.side, old_qty=o.qty,
                  qty=new_qty, old_price=o.price, price=new_price, leaves_qty=new_leaves,
                  priority_kept=keep)
        o.qty, o.leaves, o.price = new_qty, new_leaves, new_price
        if o.held or o.dark or keep:
            if (o.held or o.dark) and not keep:
                o.stamp = self.tick()
            self.dark_match(sym)
            return self.out
        self.close(sym, o)
        queue = []
        self.execute(sym, o, queue)
        self.run_queue(sym, queue)
        self.dark_match(sym)
        return self.out

    def cancel_all(self, acct, symbol=None):
        return self._sweep(symbol, lambda o: o.acct == acct, "canceled", "cancel_all", acct)

    def expire_day(self, symbol=None):
        return self._sweep(symbol, lambda o: o.tif == "day", "expired", "expire_day", None)

    def _sweep(self, symbol, pick, kind, request, acct):
        self.out = []
        if symbol is not None and symbol not in self.symbols:
            self.emit("rejected", order_id=None, account_id=acct, reason="unknown_symbol",
                      request=request)
            return self.out
        for name, sym in self.symbols.items():
            if symbol is not None and name != symbol:
                continue
            for o in sorted([o for o in sym.orders if pick(o)], key=lambda o: o.oid):
                if kind == "canceled":
                    self.emit("canceled", order_id=o.oid, account_id=o.acct, side=o.side,
                              qty=o.leaves, leaves_qty=0, reason="user")
                else:
                    self.emit("expired", order_id=o.oid, account_id=o.acct, side=o.side,
                              qty=o.leaves, reason="day")
                o.leaves = 0
                self.close(sym, o)
            self.dark_match(sym)
        return self.out

    def set_halted(self, symbol, halted):
        self.out = []
        if symbol not in self.symbols:
            self.emit("rejected", order_id=None, account_id=None, reason="unknown_symbol",
                      request="halt" if halted else "resume")
            return self.out
        sym = self.symbols[symbol]
        if sym.halted != halted:
            sym.halted = halted
            self.emit("status_changed", status="halted" if halted else "trading")
            self.dark_match(sym)
        return self.out

    # -- views -----------------------------------------------------------------------------

    def book(self, symbol):
        """(resting orders in priority order, held stops in arrival order, midpoint orders in
        arrival order) as tuples."""
        sym = self.symbols[symbol]
        rest = self.resting(sym, BUY) + self.resting(sym, SELL)
        held = sorted([o for o in sym.orders if o.held], key=lambda o: o.stamp)
        dark = sorted([o for o in sym.orders if o.dark], key=lambda o: o.stamp)
        return ([(o.oid, o.side, o.price, o.qty, o.leaves) for o in rest],
                [(o.oid, o.side, o.stop, o.qty, o.leaves) for o in held],
                [(o.oid, o.side, o.price, o.qty, o.leaves, o.min_qty) for o in dark])

    def depth(self, symbol):
        sym = self.symbols[symbol]
        out = {}
        for side in (BUY, SELL):
            levels = {}
            for o in self.resting(sym, side):
                levels[o.price] = levels.get(o.price, 0) + o.leaves
            out[side] = sorted(levels.items(), reverse=(side == BUY))
        return out[BUY], out[SELL]
