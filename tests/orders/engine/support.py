"""Shared helpers for the engine tests: short command builders and the invariant checker."""

import dataclasses

from orders.engine import (
    BookLevel,
    Cancel,
    CancelAll,
    ExpireDay,
    Halt,
    MatchingEngine,
    NewOrder,
    OrderType,
    Replace,
    Resume,
    Side,
)

BUY, SELL = Side.BUY, Side.SELL
SYM = "XYZ"


def limit(oid, side, qty, price, acct=1, symbol=SYM, **kw):
    return NewOrder(order_id=oid, account_id=acct, symbol=symbol, side=side, qty=qty,
                    price=price, **kw)


def market(oid, side, qty, acct=1, symbol=SYM, **kw):
    return NewOrder(order_id=oid, account_id=acct, symbol=symbol, side=side, qty=qty,
                    type=OrderType.MARKET, **kw)


def stop(oid, side, qty, stop_price, price=None, acct=1, symbol=SYM, **kw):
    otype = OrderType.STOP if price is None else OrderType.STOP_LIMIT
    return NewOrder(order_id=oid, account_id=acct, symbol=symbol, side=side, qty=qty,
                    type=otype, price=price, stop_price=stop_price, **kw)


def cancel(oid, symbol=SYM, acct=None):
    return Cancel(order_id=oid, symbol=symbol, account_id=acct)


def replace(oid, qty=None, price=None, symbol=SYM, acct=None):
    return Replace(order_id=oid, symbol=symbol, qty=qty, price=price, account_id=acct)


def new_engine(*symbols, **kw):
    eng = MatchingEngine(**kw)
    for s in symbols or (SYM,):
        eng.add_symbol(s)
    return eng


def run(eng, *commands):
    """Apply commands, return the events of the last one."""
    events = []
    for c in commands:
        events = eng.apply(c)
    return events


def strip(events):
    """Events without BookLevel, as (kind, fields-without-symbol-and-seq) pairs."""
    out = []
    for e in events:
        if isinstance(e, BookLevel):
            continue
        fields = {f.name: getattr(e, f.name) for f in dataclasses.fields(e)
                  if f.name not in ("symbol", "seq")}
        out.append((e.kind, fields))
    return out


class Invariants:
    """Checks, after every command, everything that must always hold.

    * sequences: each symbol's events are numbered last+1, last+2, ... (seq 0 only for
      events about unknown symbols);
    * the book is never crossed;
    * quantity is conserved per order: filled + open + canceled/expired == ordered, and
      nothing fills past its quantity; the last leaves quantity an event reported for an
      order is what the engine still holds open;
    * the BookLevel events, applied to an empty depth view, reproduce the engine's own L2
      snapshot, which carries the last event's seq (midpoint orders never show in it);
    * a midpoint trade prints at the lit midpoint the command left (bid + ask, in half
      ticks), never with a side of the lit book empty or the book crossed or locked, and
      between orders whose caps allow that price.
    """

    def __init__(self, eng):
        self.eng = eng
        self.seq = {s: eng.seq(s) for s in eng.symbols()}
        self.view = {s: {BUY: {}, SELL: {}} for s in eng.symbols()}
        self.ordered, self.filled, self.removed, self.leaves = {}, {}, {}, {}
        self.caps, self.sides = {}, {}

    def apply(self, command):
        events = self.eng.apply(command)
        self.check(command, events)
        return events

    def check(self, command, events):
        touched = set()
        for e in events:
            if e.seq == 0:
                assert e.kind in ("rejected", "cancel_rejected") and e.reason == "unknown_symbol"
                continue
            assert e.seq == self.seq[e.symbol] + 1, (e, self.seq[e.symbol])
            self.seq[e.symbol] = e.seq
            if e.kind == "accepted":
                assert e.order_id == command.order_id
                self.ordered[e.order_id] = command.qty
                self.leaves[e.order_id] = command.qty
                if command.type == "midpoint":
                    self.caps[e.order_id] = command.price
                self.sides[e.order_id] = command.side
                touched.add(e.order_id)
            elif e.kind in ("trade", "midpoint_trade"):
                if e.kind == "midpoint_trade":
                    self.check_midpoint_trade(e)
                for oid, left in ((e.maker_order_id, e.maker_leaves_qty),
                                  (e.taker_order_id, e.taker_leaves_qty)):
                    self.filled[oid] = self.filled.get(oid, 0) + e.qty
                    self.leaves[oid] = left
                    touched.add(oid)
                    assert self.filled[oid] <= self.ordered[oid], "filled past its quantity"
                assert e.maker_account_id != e.taker_account_id, "self trade printed"
            elif e.kind in ("canceled", "expired"):
                self.removed[e.order_id] = self.removed.get(e.order_id, 0) + e.qty
                self.leaves[e.order_id] = getattr(e, "leaves_qty", 0)
                touched.add(e.order_id)
            elif e.kind == "replaced":
                if e.order_id in self.caps:
                    self.caps[e.order_id] = e.price
                self.ordered[e.order_id] = e.qty
                self.leaves[e.order_id] = e.leaves_qty
                touched.add(e.order_id)
            elif e.kind == "book_level":
                side = self.view[e.symbol][e.side]
                if e.qty:
                    side[e.price] = e.qty
                else:
                    assert e.price in side, "removed a level that was not there"
                    del side[e.price]
        for oid in touched:
            self.check_order(oid)
        for s in self.eng.symbols():
            self.check_symbol(s)

    def check_midpoint_trade(self, e):
        l1 = self.eng.l1(e.symbol)
        assert l1.bid is not None and l1.ask is not None and l1.bid < l1.ask, l1
        assert e.half_ticks == l1.bid + l1.ask, (e, l1)
        for oid in (e.maker_order_id, e.taker_order_id):
            cap = self.caps.get(oid)
            if cap is not None:
                side = self.sides[oid]
                assert (2 * cap >= e.half_ticks) if side == BUY else (2 * cap <= e.half_ticks)

    def check_order(self, oid):
        open_order = self.eng.open_order(oid)
        open_qty = open_order.leaves_qty if open_order else 0
        assert self.leaves[oid] == open_qty, (oid, self.leaves[oid], open_qty)
        total = self.filled.get(oid, 0) + open_qty + self.removed.get(oid, 0)
        assert total == self.ordered[oid], (oid, total, self.ordered[oid])

    def check_symbol(self, s):
        l2 = self.eng.l2(s, depth=None)
        assert l2.seq == self.seq[s]
        assert dict(l2.bids) == self.view[s][BUY] and dict(l2.asks) == self.view[s][SELL]
        assert [p for p, _ in l2.bids] == sorted(self.view[s][BUY], reverse=True)
        assert [p for p, _ in l2.asks] == sorted(self.view[s][SELL])
        if l2.bids and l2.asks:
            assert l2.bids[0][0] < l2.asks[0][0], "crossed book"
        l1 = self.eng.l1(s)
        assert (l1.bid, l1.bid_qty) == (l2.bids[0] if l2.bids else (None, 0))
        assert (l1.ask, l1.ask_qty) == (l2.asks[0] if l2.asks else (None, 0))

    def check_all_orders(self):
        for oid in self.ordered:
            self.check_order(oid)


__all__ = ["BUY", "SELL", "SYM", "CancelAll", "ExpireDay", "Halt", "Invariants", "Resume",
           "cancel", "limit", "market", "new_engine", "replace", "run", "stop", "strip"]
