"""Random command streams for the property tests, applied to the engine and the model."""

import random

from hypothesis import strategies as st

from orders.engine import CancelAll, ExpireDay, Halt, NewOrder, OrderType, Resume, Side, StpMode, TimeInForce

from .support import cancel, replace

SYMBOLS = ("AAA", "BBB")
KINDS = ("limit",) * 10 + ("market",) * 2 + (
    "post", "stop", "stop", "stop_limit", "stop_limit", "cancel", "cancel", "cancel",
    "replace", "replace", "replace", "cancel_all", "halt", "resume", "resume", "resume",
    "expire", "dup") + ("midpoint",) * 6
TIFS = ("gtc", "gtc", "gtc", "gtc", "day", "day", "ioc", "fok")
STPS = (None, None, None, "cancel_resting", "cancel_incoming", "cancel_both", "decrement")

# Each command is one drawn integer that seeds its fields. Drawing the fields one by one
# lets Hypothesis's bias towards "simple" values (the first side, the lowest price) make
# nearly every order a buy at the same price, so nothing would trade; a seed keeps the mix
# realistic, and shrinking still removes whole commands.
streams = st.lists(st.integers(0, 2**32 - 1), min_size=30, max_size=200)


def spec_from(seed):
    rng = random.Random(seed)
    return (rng.choice(KINDS), rng.choice(("buy", "sell")), rng.randint(1, 3),
            rng.randint(1, 12), rng.randint(97, 103), rng.randint(96, 104), rng.choice(TIFS),
            rng.choice(STPS), rng.randrange(10_000), rng.choice(SYMBOLS + ("AAA", "AAA")))


class Driver:
    """Turns drawn tuples into (engine command, model call) pairs; assigns order ids."""

    def __init__(self):
        self.next_id = 1
        self.ids = []

    def target(self, sel):
        """An order id to cancel or replace: mostly a recent one, sometimes any, sometimes
        one that never existed."""
        if not self.ids or sel % 9 == 0:
            return 900_000 + sel
        pool = self.ids[-8:] if sel % 3 else self.ids
        return pool[sel % len(pool)]

    def translate(self, seed, model):
        kind, side, acct, qty, price, stop_px, tif, stp, sel, symbol = spec_from(seed)
        if kind == "midpoint":
            oid = self.next_id
            self.next_id += 1
            self.ids.append(oid)
            cap = None if sel % 2 else price  # capped at a price near the book, or not
            min_qty = None if sel % 3 else (sel // 3) % 14  # 0 and 13 above qty: invalid
            if tif == "fok" and sel % 4:
                tif = "gtc"  # mostly valid, sometimes FOK (refused)
            cmd = NewOrder(order_id=oid, account_id=acct, symbol=symbol, side=Side(side),
                           qty=qty, type=OrderType.MIDPOINT, time_in_force=TimeInForce(tif),
                           price=cap, stp=None if stp is None else StpMode(stp),
                           min_qty=min_qty)
            return cmd, lambda: model.new_order(symbol, oid, acct, side, "midpoint", tif, qty,
                                                cap, None, False, stp, min_qty)
        if kind in ("limit", "market", "post", "stop", "stop_limit", "dup"):
            if kind == "dup" and self.ids:
                oid = self.ids[sel % len(self.ids)]
            else:
                oid = self.next_id
                self.next_id += 1
                self.ids.append(oid)
            otype = {"market": "market", "stop": "stop", "stop_limit": "stop_limit"}.get(
                kind, "limit")
            px = None if otype in ("market", "stop") else price
            spx = stop_px if otype in ("stop", "stop_limit") else None
            post_only = kind == "post"
            if post_only and tif in ("ioc", "fok") and sel % 2:
                tif = "gtc"  # mostly valid post-only orders, sometimes an invalid one
            cmd = NewOrder(order_id=oid, account_id=acct, symbol=symbol, side=Side(side),
                           qty=qty, type=OrderType(otype), time_in_force=TimeInForce(tif),
                           price=px, stop_price=spx, post_only=post_only,
                           stp=None if stp is None else StpMode(stp))
            return cmd, lambda: model.new_order(symbol, oid, acct, side, otype, tif, qty, px,
                                                spx, post_only, stp)
        if kind == "cancel":
            oid = self.target(sel)
            who = acct if sel % 4 == 0 else None
            return cancel(oid, symbol, who), lambda: model.cancel(symbol, oid, who)
        if kind == "replace":
            oid = self.target(sel)
            new_qty = None if sel % 3 == 0 else qty
            new_px = price if sel % 5 < 2 else None
            if new_qty is None and new_px is None:
                new_qty = qty
            return (replace(oid, new_qty, new_px, symbol),
                    lambda: model.replace(symbol, oid, new_qty, new_px))
        if kind == "cancel_all":
            where = symbol if sel % 2 else None
            return (CancelAll(account_id=acct, symbol=where),
                    lambda: model.cancel_all(acct, where))
        if kind == "halt":
            return Halt(symbol=symbol), lambda: model.set_halted(symbol, True)
        if kind == "resume":
            return Resume(symbol=symbol), lambda: model.set_halted(symbol, False)
        where = symbol if sel % 2 else None
        return ExpireDay(symbol=where), lambda: model.expire_day(where)
