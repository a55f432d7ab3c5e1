"""The reference model's plain dark pool (a mixin of ``ReferenceModel``): after every command,
the first pair of midpoint orders that can trade at the lit midpoint, found by sorting the
eligible orders of each side, trades; again and again until there is none."""

BUY, SELL = "buy", "sell"
INF = float("inf")


class DarkPool:
    def dark_match(self, sym):
        if sym.halted:
            return
        bids, asks = self.resting(sym, BUY), self.resting(sym, SELL)
        if not bids or not asks or bids[0].price >= asks[0].price:
            return
        mid2 = bids[0].price + asks[0].price
        while True:
            pair = self.dark_pair(sym, mid2)
            if pair is None:
                return
            b, s = pair
            taker, maker = (b, s) if b.stamp > s.stamp else (s, b)
            if taker.acct == maker.acct:
                self.self_trade(sym, maker, taker)
                if taker.leaves == 0 and taker in sym.orders:
                    self.close(sym, taker)
                continue
            fill = min(b.leaves, s.leaves)
            b.leaves -= fill
            s.leaves -= fill
            sym.trades += 1
            self.emit("midpoint_trade", trade_id=sym.trades, half_ticks=mid2, qty=fill,
                      aggressor_side=taker.side, maker_order_id=maker.oid,
                      maker_account_id=maker.acct, taker_order_id=taker.oid,
                      taker_account_id=taker.acct, maker_leaves_qty=maker.leaves,
                      taker_leaves_qty=taker.leaves)
            for o in (maker, taker):
                if o.leaves == 0:
                    self.close(sym, o)

    def dark_pair(self, sym, mid2):
        """The first (buy, sell) pair, each side in price-time priority among the orders
        whose cap allows the midpoint, whose fill reaches both minimums."""
        buys = sorted([o for o in sym.orders if o.dark and o.side == BUY
                       and (o.price is None or 2 * o.price >= mid2)],
                      key=lambda o: (-(INF if o.price is None else o.price), o.stamp))
        sells = sorted([o for o in sym.orders if o.dark and o.side == SELL
                        and (o.price is None or 2 * o.price <= mid2)],
                       key=lambda o: (-INF if o.price is None else o.price, o.stamp))
        for b in buys:
            for s in sells:
                fill = min(b.leaves, s.leaves)
                if all(fill >= min(o.min_qty or 1, o.leaves) for o in (b, s)):
                    return b, s
        return None
