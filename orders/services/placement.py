"""Placing an order: validate, check risk, reserve, store `accepted`, send to the engine."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from marketdata.models import Instrument
from orders.bus import bus_publish_on_commit
from orders.models import Account, Order, Position
from orders.services.errors import ServiceError, invalid
from orders.services.reservations import collar_price, reserve_target

PRICED_TYPES = {Order.Type.LIMIT, Order.Type.STOP_LIMIT}
STOP_TYPES = {Order.Type.STOP, Order.Type.STOP_LIMIT}


def _on_grid(value: Decimal, step: Decimal) -> bool:
    return value > 0 and value % step == 0


def _validate_shape(*, instrument: Instrument, type: str, time_in_force: str, qty: Decimal,
                    limit_price: Decimal | None, stop_price: Decimal | None, post_only: bool) -> None:
    if type in PRICED_TYPES and limit_price is None:
        raise invalid("limit_price", f"A {type} order needs a limit_price.")
    if type not in PRICED_TYPES and limit_price is not None:
        raise invalid("limit_price", f"A {type} order takes no limit_price.")
    if type in STOP_TYPES and stop_price is None:
        raise invalid("stop_price", f"A {type} order needs a stop_price.")
    if type not in STOP_TYPES and stop_price is not None:
        raise invalid("stop_price", f"A {type} order takes no stop_price.")
    if post_only and (type != Order.Type.LIMIT or time_in_force in {"ioc", "fok"}):
        raise invalid("post_only", "post_only applies only to gtc or day limit orders.")
    if not _on_grid(qty, instrument.lot_size):
        raise invalid("qty", f"qty must be a positive multiple of the lot size {instrument.lot_size.normalize()}.")
    for field, price in (("limit_price", limit_price), ("stop_price", stop_price)):
        if price is not None and not _on_grid(price, instrument.tick_size):
            raise invalid(field, f"{field} must be a positive multiple of the tick size {instrument.tick_size.normalize()}.")


def _check_risk(*, instrument: Instrument, account: Account, side: str, type: str, qty: Decimal,
                limit_price: Decimal | None, stop_price: Decimal | None) -> Decimal | None:
    """Raise a refusal, or return the price the buy reservation is computed at."""
    if account.frozen:
        raise ServiceError("account_frozen", "The account is frozen.")
    if not instrument.is_trading:
        raise ServiceError("instrument_halted", f"{instrument.symbol} is halted.")
    reference = instrument.reference_price or instrument.last_price
    if reference:
        low, high = reference * (1 - instrument.price_band), reference * (1 + instrument.price_band)
        for price in (limit_price, stop_price):
            if price is not None and not low <= price <= high:
                raise ServiceError("price_out_of_band",
                                   f"Price must lie within {instrument.price_band:.2%} of {reference.normalize()} "
                                   f"({low.normalize()} to {high.normalize()}).")
    if qty > instrument.max_order_qty:
        raise ServiceError("size_limit", f"qty exceeds the maximum of {instrument.max_order_qty.normalize()}.")
    notional_price = limit_price or stop_price or reference
    if notional_price is not None and qty * notional_price > instrument.max_order_notional:
        raise ServiceError("size_limit", f"Notional exceeds the maximum of {instrument.max_order_notional}.")
    if side != Order.Side.BUY:
        return None
    if limit_price is not None:
        return limit_price
    base = stop_price or reference
    if base is None:
        raise ServiceError("no_reference_price", f"No reference price for {instrument.symbol} to protect a market buy.")
    return collar_price(instrument=instrument, side=side, base=base)


def _reserve(order: Order) -> None:
    """One conditional UPDATE: it reserves only if the account can cover it right now."""
    if order.side == Order.Side.BUY:
        amount = order.reserved_cash
        taken = Account.objects.filter(pk=order.account_id, frozen=False, cash__gte=F("reserved_cash") + amount).update(
            reserved_cash=F("reserved_cash") + amount
        )
        if not taken:
            raise ServiceError("insufficient_buying_power", f"Buying power does not cover {amount} for this order.")
    else:
        taken = Position.objects.filter(
            account_id=order.account_id, instrument_id=order.instrument_id, qty__gte=F("reserved_qty") + order.qty
        ).update(reserved_qty=F("reserved_qty") + order.qty)
        if not taken:
            raise ServiceError("insufficient_position", "Not enough free quantity to sell (no short selling).")


def order_place(*, account: Account, symbol: str, side: str, type: str, qty: Decimal, time_in_force: str = "gtc",
                limit_price: Decimal | None = None, stop_price: Decimal | None = None, post_only: bool = False,
                client_order_id: str | None = None) -> tuple[Order, bool]:
    """Returns (order, created). A refusal raises ServiceError with `.order` set to the stored rejected order."""
    instrument = Instrument.objects.filter(symbol=symbol).first()
    if instrument is None:
        raise invalid("symbol", f"Unknown symbol {symbol!r}.")
    _validate_shape(instrument=instrument, type=type, time_in_force=time_in_force, qty=qty,
                    limit_price=limit_price, stop_price=stop_price, post_only=post_only)
    if client_order_id:
        existing = Order.objects.filter(account=account, client_order_id=client_order_id).first()
        if existing:
            return existing, False
    order = Order(account=account, instrument=instrument, client_order_id=client_order_id or None, side=side, type=type,
                  time_in_force=time_in_force, qty=qty, limit_price=limit_price, stop_price=stop_price,
                  post_only=post_only, status=Order.Status.ACCEPTED)
    try:
        with transaction.atomic():
            order.reserve_price = _check_risk(instrument=instrument, account=account, side=side, type=type, qty=qty,
                                              limit_price=limit_price, stop_price=stop_price)
            order.reserved_cash = reserve_target(order)
            _reserve(order)
            order.accepted_at = timezone.now()
            order.save()
            bus_publish_on_commit(symbol=instrument.symbol, command={"kind": "new", "order_id": order.pk})
    except ServiceError as refusal:
        return _store_rejected(order, refusal)
    except IntegrityError:
        # A concurrent request with the same client_order_id won the insert.
        existing = Order.objects.filter(account=account, client_order_id=client_order_id).first()
        if existing is None:
            raise
        return existing, False
    return order, True


def _store_rejected(order: Order, refusal: ServiceError) -> tuple[Order, bool]:
    order.pk = None
    order.status = Order.Status.REJECTED
    order.reject_reason = refusal.code
    order.reserved_cash = Decimal("0")
    try:
        order.save()
    except IntegrityError:
        existing = Order.objects.get(account=order.account, client_order_id=order.client_order_id)
        return existing, False
    refusal.order = order
    raise refusal
