"""Per-account risk limits at order entry (docs/risk.md). Every entry point (REST, batch, the
WebSocket, the Alpaca surface, FIX, bots) places through `order_place` / `order_place_many`, which
call `entry_risk_for` and then `EntryRisk.check` for each order: a refusal is a ServiceError of kind
"refused" (422 {code, detail}), and the order is stored `rejected` like every other refusal.

Cost: an account without limits pays one dictionary lookup (its limits are cached in this process
for RISK_LIMITS_CACHE_SECONDS); an account with limits pays only for the figures its limits need:
one Redis round trip for the order rate, one query over its open orders, one over its positions,
and today's P&L (cached for the same seconds) for the daily loss.

The figures are the committed state when the request began (plus the request's own earlier orders
in a batch): two requests of one account racing each other may both pass against the same figures.
"""

import time
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError

from common.decimals import format_decimal, plain_decimal
from common.errors import ServiceError
from common.logging import get_logger
from common.redis import get_redis
from orders.models import Account, Order, RiskEvent, RiskLimit
from orders.risk_selectors import (
    OpenOrderFigures,
    PositionFigure,
    account_today_pl,
    open_order_figures,
    position_figures,
)
from orders.services.risk import frozen_refusal

log = get_logger(__name__)
ZERO = Decimal("0")
CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return format_decimal(value.quantize(CENT), 2)


# account id -> (monotonic deadline, its limits or None)
_limits: dict[int, tuple[float, RiskLimit | None]] = {}
_today_pl: dict[int, tuple[float, Decimal]] = {}


def risk_limits_get_cached(*, account_id: int) -> RiskLimit | None:
    now = time.monotonic()
    hit = _limits.get(account_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    limits = RiskLimit.objects.filter(account_id=account_id).first()
    ttl = settings.RISK_LIMITS_CACHE_SECONDS
    if ttl > 0:
        if len(_limits) > 100_000:
            _limits.clear()
        _limits[account_id] = (now + ttl, limits)
    return limits


def risk_limits_cache_clear(**_) -> None:
    """Connected to RiskLimit's save and delete: a change is seen at once in the process that made it."""
    _limits.clear()
    _today_pl.clear()


def _cached_today_pl(account_id: int) -> Decimal:
    now = time.monotonic()
    hit = _today_pl.get(account_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = account_today_pl(account_id=account_id)
    if settings.RISK_LIMITS_CACHE_SECONDS > 0:
        _today_pl[account_id] = (now + settings.RISK_LIMITS_CACHE_SECONDS, value)
    return value


def _rate_allowance(*, account_id: int, per_second: int, count: int) -> int:
    """How many of `count` new orders fit this second's window (fixed one-second windows in Redis,
    shared by every process). Every attempt counts, refused ones too."""
    key = f"risk:rate:{account_id}:{int(time.time())}"
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.incrby(key, count)
        pipe.expire(key, 2)
        total = pipe.execute()[0]
    except RedisError:
        # The limit protects the venue; an unreachable Redis must not refuse every order.
        log.warning("order rate limit not checked: Redis unavailable", exc_info=True)
        return count
    return max(0, min(count, per_second - (total - count)))


class EntryRisk:
    """One account's limits and the figures they are checked against, for one request."""

    def __init__(self, *, account_id: int, limits: RiskLimit, orders: int):
        self.account_id = account_id
        self.limits = limits
        self.allowed = (orders if limits.max_orders_per_second is None else
                        _rate_allowance(account_id=account_id, per_second=limits.max_orders_per_second, count=orders))
        self._open: OpenOrderFigures | None = None
        self._positions: dict[int, PositionFigure] | None = None

    @property
    def open_orders(self) -> OpenOrderFigures:
        if self._open is None:
            self._open = open_order_figures(account_id=self.account_id)
        return self._open

    @property
    def positions(self) -> dict[int, PositionFigure]:
        if self._positions is None:
            self._positions = {p.instrument_id: p for p in position_figures(account_id=self.account_id)}
        return self._positions

    def check(self, *, order: Order) -> None:
        """Raise the refusal of the first limit `order` breaks; else count it in the figures."""
        limits = self.limits
        if self.allowed <= 0:
            raise ServiceError("order_rate_exceeded",
                               f"More than {limits.max_orders_per_second} orders per second for this account.")
        self.allowed -= 1
        if limits.max_daily_loss is not None:
            today = _cached_today_pl(self.account_id)
            if today <= -limits.max_daily_loss:
                reason = Account.objects.filter(pk=self.account_id, frozen=True).values_list(
                    "frozen_reason", flat=True).first()
                if reason is not None:  # tripped already: say so, as the reservation would
                    raise frozen_refusal(reason=reason)
                raise ServiceError("daily_loss_limit", f"Today's P&L {_money(today)} has reached the daily loss "
                                                       f"limit of {_money(limits.max_daily_loss)}.")
        instrument = order.instrument
        price = (order.reserve_price or order.limit_price or order.stop_price or instrument.last_price
                 or instrument.reference_price or ZERO)
        notional = order.qty * price
        buy = order.side == Order.Side.BUY
        if buy and limits.max_position_qty is not None:
            held = self.positions.get(instrument.pk)
            total = (held.qty if held else ZERO) + self.open_orders.buy_qty.get(instrument.pk, ZERO) + order.qty
            if total > limits.max_position_qty:
                raise ServiceError("max_position_exceeded",
                                   f"{instrument.symbol}: held and open buys would reach {plain_decimal(total)}, over "
                                   f"the limit of {plain_decimal(limits.max_position_qty)}.")
        if limits.max_open_notional is not None:
            total = self.open_orders.notional + notional
            if total > limits.max_open_notional:
                raise ServiceError("max_open_notional_exceeded",
                                   f"Open orders would reach {_money(total)}, over the "
                                   f"limit of {_money(limits.max_open_notional)}.")
        if buy and limits.max_gross_exposure is not None:
            held = sum((p.market_value for p in self.positions.values() if p.qty), ZERO)
            total = held + self.open_orders.buy_notional + notional
            if total > limits.max_gross_exposure:
                raise ServiceError("max_gross_exposure_exceeded",
                                   f"Positions and open buys would reach {_money(total)},"
                                   f" over the limit of {_money(limits.max_gross_exposure)}.")
        self._count(order=order, notional=notional, buy=buy)

    def _count(self, *, order: Order, notional: Decimal, buy: bool) -> None:
        if self._open is None:
            return  # no limit needed the open orders: nothing to keep up to date
        if buy:
            self._open.buy_notional += notional
            self._open.buy_qty[order.instrument.pk] = self._open.buy_qty.get(order.instrument.pk, ZERO) + order.qty
        else:
            self._open.sell_notional += notional


def entry_risk_for(*, account_id: int, orders: int = 1) -> EntryRisk | None:
    """The limits gate of one request placing `orders` orders, or None when the account has no limits."""
    limits = risk_limits_get_cached(account_id=account_id)
    if limits is None:
        return None
    return EntryRisk(account_id=account_id, limits=limits, orders=orders)


def risk_limit_save(*, limit: RiskLimit, user=None) -> RiskLimit:
    """Ops set an account's limits (the admin): saved, and recorded in the account's risk trail."""
    with transaction.atomic():
        limit.save()
        shown = ", ".join(f"{name}={'-' if value is None else plain_decimal(Decimal(value))}" for name, value in (
            ("max_position_qty", limit.max_position_qty), ("max_gross_exposure", limit.max_gross_exposure),
            ("max_open_notional", limit.max_open_notional), ("max_daily_loss", limit.max_daily_loss),
            ("max_orders_per_second", limit.max_orders_per_second)))
        RiskEvent.objects.create(account_id=limit.account_id, kind=RiskEvent.Kind.LIMITS, user=user, detail=shown)
    risk_limits_cache_clear()
    return limit
