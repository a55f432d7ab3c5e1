"""Cancel and replace requests. The engine confirms them; until then the order shows
`pending_cancel` (or keeps its state with a pending replace)."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.decimals import plain_decimal
from common.errors import ServiceError, invalid, not_found
from orders.bus import BusCommand, CommandKind, bus_publish_on_commit
from orders.models import Account, Order, Position
from orders.services.reservations import reserve_target
from orders.services.risk import risk_check_band, risk_check_size, risk_check_tradable
from orders.services.validation import validate_price, validate_qty

CANCELABLE = (Order.Status.ACCEPTED, Order.Status.NEW, Order.Status.PARTIALLY_FILLED)


def _own_order(*, account: Account, order_id: int, lock: bool = False) -> Order:
    queryset = Order.objects.select_related("instrument")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    order = queryset.filter(pk=order_id, account=account).first()
    if order is None:
        raise not_found()
    return order


@transaction.atomic
def order_cancel(*, account: Account, order_id: int) -> Order:
    order = _own_order(account=account, order_id=order_id, lock=True)
    if order.status == Order.Status.PENDING_CANCEL:
        return order
    if order.status not in CANCELABLE:
        raise ServiceError("order_not_open", f"The order is already {order.status}.")
    order.status = Order.Status.PENDING_CANCEL
    order.save(update_fields=["status", "updated_at"])
    bus_publish_on_commit(BusCommand(CommandKind.CANCEL, order.instrument.symbol, order.pk))
    return order


@transaction.atomic
def order_cancel_all(*, account: Account, symbol: str | None = None) -> list[int]:
    queryset = Order.objects.select_for_update(of=("self",)).filter(account=account, status__in=CANCELABLE)
    if symbol:
        queryset = queryset.filter(instrument__symbol=symbol)
    orders = list(queryset.select_related("instrument").order_by("id"))
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(status=Order.Status.PENDING_CANCEL, updated_at=timezone.now())
    bus_publish_on_commit(*[BusCommand(CommandKind.CANCEL, order.instrument.symbol, order.pk) for order in orders])
    return [o.pk for o in orders]


@transaction.atomic
def order_replace(*, account: Account, order_id: int, qty: Decimal | None = None,
                  limit_price: Decimal | None = None) -> Order:
    order = _own_order(account=account, order_id=order_id, lock=True)
    instrument = order.instrument
    if qty is None and limit_price is None:
        raise invalid("non_field_errors", "Give qty, limit_price or both.")
    if order.status not in CANCELABLE:
        raise ServiceError("order_not_open", f"The order is {order.status} and cannot be replaced.")
    if order.replace_qty is not None:
        raise ServiceError("replace_pending", "A replace of this order is already waiting for the engine.")
    risk_check_tradable(instrument=instrument, frozen=account.frozen)
    if limit_price is not None:
        if order.type not in (Order.Type.LIMIT, Order.Type.STOP_LIMIT):
            raise invalid("limit_price", f"A {order.type} order has no limit price to change.")
        validate_price(instrument=instrument, field="limit_price", price=limit_price)
    if qty is not None:
        validate_qty(instrument=instrument, qty=qty)
        if qty <= order.filled_qty:
            raise invalid("qty", f"qty must exceed the filled quantity {plain_decimal(order.filled_qty)}.")
    risk_check_band(instrument=instrument, prices=(limit_price,))
    risk_check_size(instrument=instrument, qty=qty if qty is not None else order.qty,
                    price=limit_price if limit_price is not None else order.limit_price)
    order.replace_qty = qty if qty is not None else order.qty
    order.replace_limit_price = limit_price if limit_price is not None else order.limit_price
    extra_qty = order.replace_qty - order.qty
    if order.side == Order.Side.BUY:
        extra_cash = reserve_target(order) - order.reserved_cash
        if extra_cash > 0:
            taken = Account.objects.filter(pk=account.pk, cash__gte=F("reserved_cash") + extra_cash).update(
                reserved_cash=F("reserved_cash") + extra_cash)
            if not taken:
                raise ServiceError("insufficient_buying_power", f"Buying power does not cover the extra {extra_cash}.")
            order.reserved_cash += extra_cash
    elif extra_qty > 0:
        taken = Position.objects.filter(account=account, instrument=instrument,
                                        qty__gte=F("reserved_qty") + extra_qty).update(reserved_qty=F("reserved_qty") + extra_qty)
        if not taken:
            raise ServiceError("insufficient_position", "Not enough free quantity for the larger order.")
    order.save(update_fields=["replace_qty", "replace_limit_price", "reserved_cash", "updated_at"])
    bus_publish_on_commit(BusCommand(CommandKind.REPLACE, instrument.symbol, order.pk))
    return order
