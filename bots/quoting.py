"""The market maker's decisions, as pure functions (no I/O): which quotes it wants around a
reference price, and which place/replace/cancel actions turn its open orders into them."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

BUY, SELL = "buy", "sell"
BPS = Decimal("10000")
ONE = Decimal(1)


@dataclass(frozen=True)
class MakerParams:
    spread_bps: Decimal
    levels: int
    level_spacing_bps: Decimal
    order_qty: Decimal
    max_inventory: Decimal
    skew_bps: Decimal
    requote_ticks: int = 1


@dataclass(frozen=True)
class Quote:
    side: str
    level: int  # 0 is the best
    price: Decimal
    qty: Decimal


@dataclass(frozen=True)
class OpenOrder:
    id: int
    side: str
    level: int
    price: Decimal
    qty: Decimal
    filled_qty: Decimal
    status: str
    replace_pending: bool = False


@dataclass(frozen=True)
class Place:
    quote: Quote


@dataclass(frozen=True)
class Replace:
    order_id: int
    quote: Quote
    qty: Decimal  # the order's new total quantity (filled part included)


@dataclass(frozen=True)
class Cancel:
    order_id: int
    reason: str


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def ceil_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def inventory_ratio(*, position: Decimal, target: Decimal, max_inventory: Decimal) -> Decimal:
    """How far the position is from its target, as a fraction of max_inventory in [-1, 1]:
    positive when long of the target."""
    if max_inventory <= 0:
        return Decimal(0)
    return max(-ONE, min(ONE, (position - target) / max_inventory))


def desired_quotes(*, reference: Decimal, tick: Decimal, lot: Decimal, ratio: Decimal, params: MakerParams,
                   band: tuple[Decimal, Decimal] | None = None) -> list[Quote]:
    """Bids and asks around the reference, shifted against the inventory (long: lower, so the
    asks get hit and the bids less), with the side that would grow the inventory smaller.
    Bids round down and asks up to the tick; quotes outside the price band are left out."""
    center = reference * (ONE - params.skew_bps / BPS * ratio)
    bid_qty = _lots(params.order_qty * (ONE - max(ratio, Decimal(0))), lot)
    ask_qty = _lots(params.order_qty * (ONE + min(ratio, Decimal(0))), lot)
    quotes = []
    for level in range(params.levels):
        half = (params.spread_bps / 2 + params.level_spacing_bps * level) / BPS
        bid = floor_to(center * (ONE - half), tick)
        ask = max(ceil_to(center * (ONE + half), tick), bid + tick)
        if bid >= tick:
            quotes.append(Quote(BUY, level, bid, bid_qty))
        quotes.append(Quote(SELL, level, ask, ask_qty))
    if band is not None:
        low, high = band
        quotes = [q for q in quotes if low <= q.price <= high]
    return quotes


def _lots(qty: Decimal, lot: Decimal) -> Decimal:
    return max(lot, floor_to(qty, lot))


def plan(*, desired: list[Quote], orders: list[OpenOrder], tick: Decimal, requote_ticks: int = 1) -> list:
    """Actions that turn `orders` (this bot's open orders in one symbol) into `desired`.

    One order per (side, level) slot: a missing one is placed; one priced more than
    requote_ticks ticks off, or with under half the wanted quantity left, is replaced; extra
    orders and slots no longer wanted are cancelled. Orders the engine is still working on
    (accepted, pending cancel, replace pending) are left alone this round.

    Cancels go first, then moves away from the other side (asks up, bids down), then moves
    toward it and new quotes, so the bot's own bid and ask never cross on the way.
    """
    slots: dict[tuple[str, int], list[OpenOrder]] = defaultdict(list)
    for order in sorted(orders, key=lambda o: o.id):
        if order.status != "pending_cancel":
            slots[(order.side, order.level)].append(order)
    wanted = {(q.side, q.level): q for q in desired}
    cancels, retreats, advances = [], [], []
    for slot, live in slots.items():
        extra = live if slot not in wanted else live[1:]
        cancels += [Cancel(o.id, "not wanted" if slot not in wanted else "duplicate") for o in extra]
    for slot, quote in sorted(wanted.items(), key=lambda item: (item[0][1], item[0][0])):  # best levels first
        live = slots.get(slot)
        if not live:
            advances.append(Place(quote))
            continue
        order = live[0]
        if order.replace_pending or order.status == "accepted":
            continue
        off = abs(order.price - quote.price) > tick * requote_ticks
        thin = order.qty - order.filled_qty < quote.qty / 2
        if not (off or thin):
            continue
        action = Replace(order.id, quote, order.filled_qty + quote.qty)
        retreating = (quote.price > order.price) if quote.side == SELL else (quote.price < order.price)
        (retreats if retreating else advances).append(action)
    return cancels + retreats + advances
