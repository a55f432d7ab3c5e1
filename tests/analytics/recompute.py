"""The figures recomputed plainly from a list of trades (docs/analytics.md's formulas, written
again the obvious way), for the tests to compare with what the stream computed."""

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

PLACES = Decimal("0.000001")


@dataclass
class T:
    price: Decimal
    qty: Decimal
    side: str  # aggressor
    ts: datetime


def minute(ts: datetime) -> int:
    return int(ts.timestamp() // 60)


def q(n: Decimal, d: Decimal, places=PLACES):
    return None if not d else (n / d).quantize(places, rounding=ROUND_HALF_EVEN)


def close_at(trades: list[T], m: int):
    before = [t for t in trades if minute(t.ts) <= m]
    return before[-1].price if before else None


def recompute(trades: list[T]) -> dict:
    M = minute(trades[-1].ts)
    day = M // 1440
    session = [t for t in trades if minute(t.ts) // 1440 == day]
    last5 = [t for t in trades if M - 4 <= minute(t.ts) <= M]
    first = minute(session[0].ts)
    closes = [close_at(trades, m) for m in range(first, M + 1)]
    window = [close_at(trades, m) for m in range(M - 30, M + 1)]
    squares = [math.log(b / a) ** 2 for a, b in zip(window, window[1:]) if a is not None and b is not None]
    buy = sum((t.qty for t in last5 if t.side == "buy"), Decimal(0))
    sell = sum((t.qty for t in last5 if t.side == "sell"), Decimal(0))
    return {
        "session_vwap": q(sum(t.price * t.qty for t in session), sum(t.qty for t in session)),
        "session_volume": sum(t.qty for t in session),
        "session_trades": len(session),
        "vwap_5m": q(sum(t.price * t.qty for t in last5), sum(t.qty for t in last5)),
        "twap": q(sum(closes), Decimal(len(closes))),
        "volatility_30m": math.sqrt(math.fsum(squares)) if squares else None,
        "volume_1m": sum((t.qty for t in trades if minute(t.ts) == M), Decimal(0)),
        "imbalance_5m": q(buy - sell, buy + sell, Decimal("0.0001")),
        "last": trades[-1].price,
    }


def assert_matches(values: dict, expected: dict, *, vol_tolerance: float = 1e-9) -> None:
    """Money exactly (so to the cent), volatility to `vol_tolerance` (relative)."""
    for name in ("session_vwap", "vwap_5m", "twap", "last"):
        assert Decimal(values[name]) == expected[name], (name, values[name], expected[name])
    for name in ("session_volume", "volume_1m"):
        assert Decimal(values[name]) == expected[name], (name, values[name], expected[name])
    assert values["session_trades"] == expected["session_trades"]
    assert (values["imbalance_5m"] and Decimal(values["imbalance_5m"])) == expected["imbalance_5m"]
    if expected["volatility_30m"] is None:
        assert values["volatility_30m"] is None
    else:
        assert math.isclose(values["volatility_30m"], expected["volatility_30m"], rel_tol=vol_tolerance, abs_tol=1e-12)
