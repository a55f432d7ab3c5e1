"""The figures of one symbol, folded from the engine stream's trades and tops of book, minute by
minute (docs/analytics.md gives every formula). Pure Python: no Django, no I/O, so the tests
recompute the same figures from the stored trades and compare.

Time is event time: a trade counts in the minute of its `ts` (the engine's commit time), a top of
book in the minute of its batch. Windows end at the symbol's latest trade minute M (latest quote
minute Q for the book figures): "5 minutes" are the minutes M-4..M, "30 minutes" M-30..M. A quiet
symbol's figures stand still. The session is the UTC day of M.

Money (prices, VWAP, TWAP, spreads, notional) is Decimal: sums are exact, quotients are rounded
half-even to PLACES decimals. Volatility is a float (a logarithm).
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from common.decimals import format_decimal

PLACES = Decimal("0.000001")  # quotients of money: VWAP, TWAP, mean spread
RATIO = Decimal("0.0001")  # trade-flow imbalance
ZERO = Decimal(0)
MINUTES_PER_DAY = 1440
VWAP_WINDOW = 5  # minutes M-4..M
VOL_WINDOW = 30  # returns of minutes M-29..M over their previous minute
KEEP_MINUTES = 130  # minutes kept in memory (the longest alert window is 120)

_epochs: dict[str, float] = {}


def epoch_of(ts: str) -> float:
    """Seconds since the epoch of an ISO 8601 UTC time (cached: a batch's trades share one)."""
    value = _epochs.get(ts)
    if value is None:
        if len(_epochs) > 10_000:
            _epochs.clear()
        value = _epochs[ts] = datetime.fromisoformat(ts).timestamp()
    return value


def minute_of(ts: str) -> int:
    return int(epoch_of(ts) // 60)


def minute_time(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def quotient(numerator: Decimal, denominator: Decimal, places: Decimal = PLACES) -> Decimal | None:
    if not denominator:
        return None
    return (numerator / denominator).quantize(places, rounding=ROUND_HALF_EVEN)


@dataclass(slots=True)
class Minute:
    """What one minute of one symbol saw (a row of analytics.models.AnalyticsMinute)."""

    minute: int
    trades: int = 0
    volume: Decimal = ZERO
    notional: Decimal = ZERO
    buy_volume: Decimal = ZERO  # volume of trades whose aggressor bought
    sell_volume: Decimal = ZERO
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    quotes: int = 0  # top-of-book samples (one per batch that touched the symbol)
    spreads: int = 0  # samples with both sides
    spread_sum: Decimal = ZERO
    spread_min: Decimal | None = None
    spread_max: Decimal | None = None
    bid_qty_sum: Decimal = ZERO
    ask_qty_sum: Decimal = ZERO
    bid: Decimal | None = None  # the last sample's
    ask: Decimal | None = None
    bid_qty: Decimal | None = None
    ask_qty: Decimal | None = None
    # The trade figures as this minute ended (or as of now for the current minute M): session_vwap,
    # vwap_5m, twap, volatility_30m. Stored with the row; the chart's VWAP line reads them.
    figures: dict | None = None

    def add_trade(self, price: Decimal, qty: Decimal, aggressor_side: str) -> None:
        self.trades += 1
        self.volume += qty
        self.notional += price * qty
        if aggressor_side == "buy":
            self.buy_volume += qty
        else:
            self.sell_volume += qty
        if self.open is None:
            self.open = self.high = self.low = price
        elif price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        self.close = price

    def add_quote(self, bid: Decimal | None, bid_qty: Decimal | None, ask: Decimal | None,
                  ask_qty: Decimal | None) -> None:
        self.quotes += 1
        self.bid, self.bid_qty, self.ask, self.ask_qty = bid, bid_qty, ask, ask_qty
        self.bid_qty_sum += bid_qty or ZERO
        self.ask_qty_sum += ask_qty or ZERO
        if bid is not None and ask is not None:
            spread = ask - bid
            self.spreads += 1
            self.spread_sum += spread
            if self.spread_min is None or spread < self.spread_min:
                self.spread_min = spread
            if self.spread_max is None or spread > self.spread_max:
                self.spread_max = spread


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@dataclass
class SymbolFigures:
    """One symbol's minutes and session accumulators. `add_trade`/`add_quote` fold the stream;
    `load` folds stored minutes (in time order) back after a restart; `values` is the latest."""

    symbol: str
    minutes: dict[int, Minute] = field(default_factory=dict)
    trade_minute: int | None = None  # M
    quote_minute: int | None = None  # Q
    last: Decimal | None = None
    # Session (the UTC day of M): totals, and TWAP's sum of minute closes before M, carried forward.
    day: int | None = None
    session_trades: int = 0
    session_volume: Decimal = ZERO
    session_notional: Decimal = ZERO
    twap_sum: Decimal = ZERO
    twap_minutes: int = 0
    carried_close: Decimal | None = None  # the close before the oldest kept minute
    dirty: set[int] = field(default_factory=set)  # minutes changed since the last `take_dirty`

    def _minute(self, minute: int) -> Minute:
        row = self.minutes.get(minute)
        if row is None:
            row = self.minutes[minute] = Minute(minute)
        return row

    def _advance(self, minute: int) -> None:
        """Move M forward to `minute`: close the minutes between into TWAP, or start a session."""
        if self.trade_minute is not None and minute <= self.trade_minute:
            return
        if self.day is None or minute // MINUTES_PER_DAY != self.day:
            self.day = minute // MINUTES_PER_DAY
            self.session_trades, self.session_volume, self.session_notional = 0, ZERO, ZERO
            self.twap_sum, self.twap_minutes = ZERO, 0
        elif self.last is not None:
            self._minute(self.trade_minute).figures = self.trade_figures()
            self.dirty.add(self.trade_minute)
            # The minutes M..minute-1 each close at M's close (no trade since).
            self.twap_sum += self.last * (minute - self.trade_minute)
            self.twap_minutes += minute - self.trade_minute
        self.trade_minute = minute
        self._prune(minute)

    def _prune(self, minute: int) -> None:
        old = [m for m in self.minutes if m < minute - KEEP_MINUTES]
        for m in sorted(old):
            row = self.minutes.pop(m)
            if row.close is not None:
                self.carried_close = row.close
            self.dirty.discard(m)

    def add_trade(self, *, price: str, qty: str, aggressor_side: str, ts: str) -> None:
        minute = minute_of(ts)
        self._advance(minute)
        row = self._minute(minute)  # a trade is never older than M: the engine's times only grow
        p, q = Decimal(price), Decimal(qty)
        row.add_trade(p, q, aggressor_side)
        self.session_trades += 1
        self.session_volume += q
        self.session_notional += p * q
        self.last = p
        self.dirty.add(minute)

    def add_quote(self, *, quote: dict, ts: str) -> None:
        minute = minute_of(ts)
        if self.quote_minute is None or minute > self.quote_minute:
            self.quote_minute = minute
        self._minute(minute).add_quote(_dec(quote.get("bid")), _dec(quote.get("bid_qty")), _dec(quote.get("ask")),
                                       _dec(quote.get("ask_qty")))
        self.dirty.add(minute)

    def load(self, row: Minute) -> None:
        """Fold back one stored minute (in time order) as if its trades and quotes had streamed."""
        if row.trades:
            self._advance(row.minute)
            self.session_trades += row.trades
            self.session_volume += row.volume
            self.session_notional += row.notional
            self.last = row.close
        if row.quotes and (self.quote_minute is None or row.minute > self.quote_minute):
            self.quote_minute = row.minute
        self.minutes[row.minute] = row

    def take_dirty(self) -> list[Minute]:
        """The minutes changed since the last call, the current one with its figures as of now."""
        if self.trade_minute in self.dirty and self.trade_minute in self.minutes:
            self.minutes[self.trade_minute].figures = self.trade_figures()
        rows = [self.minutes[m] for m in sorted(self.dirty) if m in self.minutes]
        self.dirty.clear()
        return rows

    # --- reads ---------------------------------------------------------------------------------
    def close_at(self, minute: int) -> Decimal | None:
        """The last trade price at the end of `minute` (carried forward over minutes without trades)."""
        for m in range(minute, minute - KEEP_MINUTES - 2, -1):
            row = self.minutes.get(m)
            if row is not None and row.close is not None:
                return row.close
        return self.carried_close

    def window(self, end: int | None, count: int):
        if end is None:
            return []
        return [self.minutes[m] for m in range(end - count + 1, end + 1) if m in self.minutes]

    def volume_at(self, minute: int) -> Decimal:
        row = self.minutes.get(minute)
        return row.volume if row is not None else ZERO

    def volume_mean(self, *, before: int, count: int) -> Decimal:
        """Mean volume per minute of the `count` minutes before minute `before` (zeros included)."""
        return sum((self.volume_at(m) for m in range(before - count, before)), ZERO) / count

    def volatility(self) -> float | None:
        """sqrt(sum of squared log returns of the 1-minute closes of M-29..M), closes carried forward."""
        if self.trade_minute is None:
            return None
        close = self.close_at(self.trade_minute - VOL_WINDOW)
        closes = [close]
        for m in range(self.trade_minute - VOL_WINDOW + 1, self.trade_minute + 1):
            row = self.minutes.get(m)
            if row is not None and row.close is not None:
                close = row.close
            closes.append(close)
        squares = [math.log(b / a) ** 2 for a, b in zip(closes, closes[1:]) if a is not None and b is not None]
        return math.sqrt(math.fsum(squares)) if squares else None

    def trade_figures(self) -> dict:
        M = self.trade_minute
        trades = self.window(M, VWAP_WINDOW)
        twap = None
        if self.last is not None and M is not None:
            twap = quotient(self.twap_sum + self.last, Decimal(self.twap_minutes + 1))
        return {"session_vwap": quotient(self.session_notional, self.session_volume),
                "vwap_5m": quotient(sum((r.notional for r in trades), ZERO), sum((r.volume for r in trades), ZERO)),
                "twap": twap, "volatility_30m": self.volatility()}

    def values(self) -> dict:
        """The latest figures, as REST and the `analytics` channel carry them (decimals as strings)."""
        M, Q = self.trade_minute, self.quote_minute
        trades = self.window(M, VWAP_WINDOW)
        volume5 = sum((r.volume for r in trades), ZERO)
        buy5 = sum((r.buy_volume for r in trades), ZERO)
        sell5 = sum((r.sell_volume for r in trades), ZERO)
        quotes = self.window(Q, VWAP_WINDOW)
        samples = sum(r.quotes for r in quotes)
        spreads = sum(r.spreads for r in quotes)
        mins = [r.spread_min for r in quotes if r.spread_min is not None]
        maxs = [r.spread_max for r in quotes if r.spread_max is not None]
        top = self.minutes.get(Q) if Q is not None else None
        figures = self.trade_figures()
        volatility = figures["volatility_30m"]
        return {
            "minute": _iso(M), "last": _s(self.last),
            "session_trades": self.session_trades, "session_volume": _q(self.session_volume),
            "session_vwap": _s(figures["session_vwap"]), "vwap_5m": _s(figures["vwap_5m"]),
            "twap": _s(figures["twap"]),
            "volatility_30m": None if volatility is None else round(volatility, 12),
            "volume_1m": _q(self.volume_at(M)) if M is not None else "0",
            "trades_1m": self.minutes[M].trades if M in self.minutes else 0,
            "volume_5m": _q(volume5),
            "imbalance_5m": _q(quotient(buy5 - sell5, buy5 + sell5, RATIO)),
            "spread": _s(top.ask - top.bid) if top and top.bid is not None and top.ask is not None else None,
            "spread_mean_5m": _s(quotient(sum((r.spread_sum for r in quotes), ZERO), Decimal(spreads))),
            "spread_min_5m": _s(min(mins)) if mins else None,
            "spread_max_5m": _s(max(maxs)) if maxs else None,
            "bid": _s(top.bid) if top else None, "bid_qty": _q(top.bid_qty) if top else None,
            "ask": _s(top.ask) if top else None, "ask_qty": _q(top.ask_qty) if top else None,
            "bid_qty_mean_5m": _q(quotient(sum((r.bid_qty_sum for r in quotes), ZERO), Decimal(samples))),
            "ask_qty_mean_5m": _q(quotient(sum((r.ask_qty_sum for r in quotes), ZERO), Decimal(samples))),
        }



def _s(value: Decimal | None) -> str | None:
    """A price or an amount of money: at least 2 places, more if it has them (up to 8)."""
    return format_decimal(value, 2)


def _q(value: Decimal | None) -> str | None:
    """A quantity or a ratio, as people write it."""
    return format_decimal(value, 0)


def _iso(minute: int | None) -> str | None:
    return None if minute is None else minute_time(minute).isoformat().replace("+00:00", "Z")
