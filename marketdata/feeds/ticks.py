"""The one tick type every feed produces, and the normalizer that builds it from raw values.

A tick is a price observation for one symbol: a last trade price, or a quote whose mid is
the price. Everything a feed reads from outside goes through `make_tick` (or the helpers
on top of it), which either returns an exact `Tick` or raises `MalformedTick`; feeds count
and log the latter and carry on.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

SYMBOL_RE = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,15}")
MAX_PRICE = Decimal("1e12")
TWO = Decimal(2)


class MalformedTick(ValueError):
    """Raised for input that cannot be turned into a tick; the message says why."""


@dataclass(frozen=True, slots=True)
class Tick:
    symbol: str
    price: Decimal  # the reference candidate: the trade price, else the quote's mid
    ts: datetime  # aware, UTC
    source: str
    bid: Decimal | None = None
    ask: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None


def _decimal(name: str, value: Any, *, allow_zero: bool = False) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise MalformedTick(f"{name} must be a number, not {type(value).__name__}")
    try:
        # str() of a float is its shortest round-tripping form, so 190.1 stays 190.1.
        number = Decimal(value.strip() if isinstance(value, str) else str(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise MalformedTick(f"{name} is not a number: {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise MalformedTick(f"{name} is not finite")
    if number < 0 or (number == 0 and not allow_zero):
        raise MalformedTick(f"{name} must be positive")
    if number >= MAX_PRICE:
        raise MalformedTick(f"{name} is implausibly large")
    return number


def _symbol(value: Any) -> str:
    if not isinstance(value, str):
        raise MalformedTick("symbol must be a string")
    symbol = value.strip().upper()
    if not SYMBOL_RE.fullmatch(symbol):
        raise MalformedTick(f"invalid symbol {value[:20]!r}")
    return symbol


def parse_ts(value: Any, *, now: datetime | None = None) -> datetime:
    """ISO 8601 / RFC 3339 text (nanoseconds are truncated to micro), or epoch seconds,
    milliseconds or nanoseconds by magnitude. Missing: now. Naive times are UTC."""
    if value is None or value == "":
        return now or datetime.now(UTC)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and not _looks_numeric(value):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise MalformedTick(f"invalid timestamp {value[:40]!r}") from None
    elif isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
        try:
            epoch = Decimal(str(value).strip())
        except InvalidOperation:
            raise MalformedTick(f"invalid timestamp {str(value)[:40]!r}") from None
        if not epoch.is_finite() or epoch < 0:
            raise MalformedTick("invalid timestamp")
        if epoch > Decimal("1e17"):
            epoch /= Decimal("1e9")  # nanoseconds
        elif epoch > Decimal("1e11"):
            epoch /= Decimal("1e3")  # milliseconds
        try:
            parsed = datetime.fromtimestamp(float(epoch), UTC)
        except (OverflowError, OSError, ValueError):
            raise MalformedTick("timestamp out of range") from None
    else:
        raise MalformedTick(f"invalid timestamp type {type(value).__name__}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"\s*\d+(\.\d+)?\s*", text))


def make_tick(*, source: str, symbol: Any, price: Any = None, bid: Any = None, ask: Any = None,
              bid_size: Any = None, ask_size: Any = None, ts: Any = None, now: datetime | None = None) -> Tick:
    """Validate raw values into a Tick. A quote needs both sides (a zero side counts as
    absent, as quote feeds send it) unless a trade price is given; a crossed quote is refused."""
    symbol = _symbol(symbol)
    price = _decimal("price", price)
    bid = _decimal("bid", bid, allow_zero=True) or None
    ask = _decimal("ask", ask, allow_zero=True) or None
    bid_size = _decimal("bid_size", bid_size, allow_zero=True)
    ask_size = _decimal("ask_size", ask_size, allow_zero=True)
    if bid is not None and ask is not None and bid > ask:
        raise MalformedTick(f"crossed quote: bid {bid} > ask {ask}")
    if price is None:
        if bid is None or ask is None:
            raise MalformedTick("no price: give a price, or both bid and ask")
        price = (bid + ask) / TWO
    return Tick(symbol=symbol, price=price, ts=parse_ts(ts, now=now), source=source, bid=bid, ask=ask,
                bid_size=bid_size, ask_size=ask_size)


FIELDS = ("symbol", "price", "bid", "ask", "bid_size", "ask_size", "ts")


def tick_from_mapping(item: Any, *, source: str, now: datetime | None = None) -> Tick:
    """The generic wire shape (UDP datagrams, CSV rows):
    {"symbol", "price"?, "bid"?, "ask"?, "bid_size"?, "ask_size"?, "ts"?}. Other keys are ignored."""
    if not isinstance(item, dict):
        raise MalformedTick(f"expected an object, got {type(item).__name__}")
    if "symbol" not in item:
        raise MalformedTick("missing symbol")
    return make_tick(source=source, now=now, **{k: item.get(k) for k in FIELDS})


def tick_to_mapping(tick: Tick) -> dict:
    """The generic wire shape of a tick, every decimal as a string (what send_ticks sends)."""
    out = {"symbol": tick.symbol, "price": str(tick.price), "ts": tick.ts.isoformat()}
    for name in ("bid", "ask", "bid_size", "ask_size"):
        value = getattr(tick, name)
        if value is not None:
            out[name] = str(value)
    return out


def _refuse_constant(name: str):
    raise MalformedTick(f"{name} is not a price")


def decode_json(payload: bytes | str):
    """JSON with every number as an exact Decimal; raises MalformedTick."""
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise MalformedTick(f"not JSON: {str(error)[:80]}") from None
