"""Vocabulary of the engine: sides, order types, time in force, STP modes, reason codes.

Every enum is a ``StrEnum`` so a member equals its snake_case wire value
(``Side.BUY == "buy"``) and serialises as plain text, while the engine itself
compares members by identity on its hot path.
"""

from enum import StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"
    STOP = "stop"  # stop-market: becomes a market order when triggered
    STOP_LIMIT = "stop_limit"  # becomes a limit order at `price` when triggered
    MIDPOINT = "midpoint"  # dark: pegged to the lit midpoint, `price` an optional cap


class TimeInForce(StrEnum):
    GTC = "gtc"
    DAY = "day"  # expired by an ExpireDay command
    IOC = "ioc"  # remainder expired at once
    FOK = "fok"  # whole quantity at once or nothing


class StpMode(StrEnum):
    """What happens when an incoming order meets a resting order of its own account."""

    CANCEL_RESTING = "cancel_resting"  # default: cancel the resting order, keep matching
    CANCEL_INCOMING = "cancel_incoming"  # cancel the incoming remainder, stop
    CANCEL_BOTH = "cancel_both"  # cancel the resting order and the incoming remainder
    DECREMENT = "decrement"  # reduce both by the smaller quantity, cancel whichever hits 0


class TradingStatus(StrEnum):
    TRADING = "trading"
    HALTED = "halted"


class RejectReason(StrEnum):
    """Why a command was refused (``Rejected`` and ``CancelRejected`` events)."""

    UNKNOWN_SYMBOL = "unknown_symbol"
    INVALID_COMMAND = "invalid_command"
    INVALID_ORDER_ID = "invalid_order_id"
    INVALID_SIDE = "invalid_side"
    INVALID_TYPE = "invalid_type"
    INVALID_TIF = "invalid_tif"
    INVALID_QTY = "invalid_qty"
    INVALID_PRICE = "invalid_price"
    INVALID_STOP_PRICE = "invalid_stop_price"
    INVALID_POST_ONLY = "invalid_post_only"
    INVALID_STP = "invalid_stp"
    INVALID_MIN_QTY = "invalid_min_qty"
    OFF_TICK = "off_tick"
    OFF_LOT = "off_lot"
    HALTED = "halted"
    POST_ONLY_WOULD_TRADE = "post_only_would_trade"
    NO_LIQUIDITY = "no_liquidity"
    UNKNOWN_ORDER = "unknown_order"


class CancelReason(StrEnum):
    USER = "user"  # Cancel or CancelAll command
    SELF_TRADE = "self_trade"  # self-trade prevention


class ExpireReason(StrEnum):
    IOC = "ioc"  # IOC remainder
    FOK = "fok"  # FOK order that could not fill completely at once
    MARKET = "market"  # market order remainder once the other side ran out
    DAY = "day"  # DAY order at the ExpireDay command
    NO_LIQUIDITY = "no_liquidity"  # triggered stop (market) found the other side empty
