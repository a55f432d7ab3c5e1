"""The figures folded from a stream equal a plain recomputation from the same trades, at every
step, across minutes without trades and a session (UTC day) boundary; and folding the stored
minutes back (a restart) continues exactly where the uninterrupted fold is."""

import copy
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from analytics.figures import SymbolFigures
from common.times import utc_iso
from tests.analytics.recompute import T, assert_matches, recompute


def trades_over(hours: float, *, seed: int, start=datetime(2026, 12, 1, 22, 40, tzinfo=UTC)) -> list[T]:
    rng = random.Random(seed)
    out, ts, price = [], start, Decimal("100.00")
    end = start + timedelta(hours=hours)
    while ts < end:
        ts += timedelta(seconds=rng.choice((0.5, 3, 20, 70, 400)) * rng.random())
        price = max(Decimal("1.00"), price + Decimal(rng.randint(-15, 15)) / 100)
        out.append(T(price, Decimal(rng.randint(1, 50)), rng.choice(("buy", "sell")), ts))
    return out


def feed(figures: SymbolFigures, trade: T) -> None:
    figures.add_trade(price=str(trade.price), qty=str(trade.qty), aggressor_side=trade.side, ts=utc_iso(trade.ts))


def test_figures_equal_a_plain_recomputation_at_every_step():
    trades = trades_over(3, seed=1)
    assert trades[0].ts.date() != trades[-1].ts.date()  # crosses a session boundary
    figures = SymbolFigures("AAPL")
    for i, trade in enumerate(trades):
        feed(figures, trade)
        if i % 7 == 0 or i == len(trades) - 1:
            assert_matches(figures.values(), recompute(trades[: i + 1]))
    assert figures.values()["volatility_30m"] > 0


def test_a_restart_from_the_stored_minutes_continues_exactly():
    trades = trades_over(2, seed=2)
    live, stored = SymbolFigures("AAPL"), {}
    cut = len(trades) * 2 // 3
    for i, trade in enumerate(trades):
        feed(live, trade)
        if i % 5 == 0 or i == cut:
            for row in live.take_dirty():  # what a flush writes
                stored[row.minute] = copy.deepcopy(row)
        if i == cut:
            restarted = SymbolFigures("AAPL")
            for m in sorted(stored):
                restarted.load(copy.deepcopy(stored[m]))
            assert restarted.values() == live.values()
        elif i > cut:
            feed(restarted, trade)
            assert restarted.values() == live.values()
    assert_matches(restarted.values(), recompute(trades))


def test_book_figures_from_the_tops_of_book():
    figures = SymbolFigures("AAPL")
    ts = "2026-12-02T10:00:05Z"
    figures.add_quote(quote={"bid": "99.90", "bid_qty": "10", "ask": "100.10", "ask_qty": "30"}, ts=ts)
    figures.add_quote(quote={"bid": "99.95", "bid_qty": "20", "ask": "100.00", "ask_qty": "10"}, ts=ts)
    figures.add_quote(quote={"bid": None, "bid_qty": None, "ask": "100.00", "ask_qty": "5"}, ts="2026-12-02T10:03:00Z")
    values = figures.values()
    assert values["spread"] is None  # no bid now
    assert (values["spread_min_5m"], values["spread_max_5m"], values["spread_mean_5m"]) == ("0.05", "0.20", "0.125")
    assert (values["bid_qty_mean_5m"], values["ask_qty_mean_5m"]) == ("10", "15")
    assert (values["ask"], values["ask_qty"]) == ("100.00", "5")
