"""Placing an order: validate, check risk, reserve, store `accepted`, send to the engine."""

from collections import defaultdict
from contextlib import nullcontext
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from common.errors import ServiceError, invalid
from common.logging import get_logger
from common.metrics import ORDERS_ACCEPTED, ORDERS_REFUSED
from marketdata.models import Instrument
from marketdata.selectors import instruments_get_cached
from orders.bus import BusCommand, CommandKind, bus_publish_on_commit
from orders.models import ZERO, Account, Order, Position
from orders.services.admission import admission_check
from orders.services.entry_statements import order_insert, order_reserve_and_insert, reserve_run
from orders.services.reservations import reserve_target
from orders.services.risk import frozen_refusal, risk_check_order
from orders.services.risk_limits import entry_risk_for
from orders.services.validation import validate_order_shape

log = get_logger("orders.entry")


def _reserve(order: Order) -> None:
    """One conditional UPDATE: it reserves only if the account is not frozen and can cover it right now."""
    if not reserve_run(side=order.side, account=order.account_id, instrument=order.instrument_id,
                       amount=order.reserved_cash if order.side == Order.Side.BUY else order.qty):
        raise _refusal(order)


def _refusal(order: Order) -> ServiceError:
    """Why the reservation was not made."""
    frozen = Account.objects.filter(pk=order.account_id, frozen=True).values_list("frozen_reason", flat=True).first()
    if frozen is not None:
        return frozen_refusal(reason=frozen)
    if order.side == Order.Side.BUY:
        return ServiceError("insufficient_buying_power", f"Buying power does not cover {order.reserved_cash} for this order.")
    return ServiceError("insufficient_position", "Not enough free quantity to sell (no short selling).")


def _store_accepted(order: Order) -> None:
    """Reserve, then store the order `accepted`, as one unit. On PostgreSQL one statement
    (`order_reserve_and_insert`): without a transaction around it that is one round trip and no
    BEGIN/COMMIT, about a third of the database work of an order; inside the caller's transaction,
    a savepoint keeps a duplicate client_order_id from breaking it."""
    order.accepted_at = timezone.now()
    if connection.vendor == "postgresql":
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            if not order_reserve_and_insert(order):
                raise _refusal(order)
        return
    with transaction.atomic():
        _reserve(order)
        order_insert(order)


def _same_order(order: Order, *, symbol: str, side: str, type: str, qty: Decimal, time_in_force: str = "gtc",
                limit_price: Decimal | None = None, stop_price: Decimal | None = None, post_only: bool = False,
                min_qty: Decimal | None = None, **_) -> bool:
    """Whether a request asks for exactly this order (decimals compared by value: "10" is "10.0")."""
    return (order.instrument.symbol, order.side, order.type, order.time_in_force, order.qty, order.limit_price,
            order.stop_price, bool(order.post_only), order.min_qty) == (symbol, side, type, time_in_force, qty,
                                                                         limit_price, stop_price, bool(post_only), min_qty)


def _replayed(order: Order, body: dict) -> Order:
    """The order stored with the request's client_order_id: the same request again is answered with
    it; a different request reusing the id is a conflict (409)."""
    if not _same_order(order, **body):
        error = ServiceError("duplicate_client_order_id",
                             f"client_order_id {order.client_order_id!r} is already used by order {order.pk}, "
                             "which differs from this request.", kind="conflict")
        error.order_id = order.pk
        raise error
    return order


def _instrument_for(symbol: str) -> Instrument:
    instrument = instruments_get_cached(symbols=[symbol]).get(symbol)
    if instrument is None:
        raise invalid("symbol", f"Unknown symbol {symbol!r}.")
    return instrument


def order_place(*, account: Account, symbol: str, side: str, type: str, qty: Decimal, time_in_force: str = "gtc",
                limit_price: Decimal | None = None, stop_price: Decimal | None = None, post_only: bool = False,
                client_order_id: str | None = None, min_qty: Decimal | None = None) -> tuple[Order, bool]:
    """Returns (order, created). A refusal raises ServiceError with `.order` set to the stored rejected order.

    Only the account's id is taken from `account`: whether it is frozen is part of the reservation."""
    admission_check(symbols=[symbol])
    instrument = _instrument_for(symbol)
    validate_order_shape(instrument=instrument, type=type, time_in_force=time_in_force, qty=qty,
                        limit_price=limit_price, stop_price=stop_price, post_only=post_only, min_qty=min_qty)
    body = {"symbol": symbol, "side": side, "type": type, "qty": qty, "time_in_force": time_in_force,
            "limit_price": limit_price, "stop_price": stop_price, "post_only": post_only, "min_qty": min_qty}
    if client_order_id:
        existing = Order.objects.select_related("instrument").filter(account=account, client_order_id=client_order_id).first()
        if existing:
            return _replayed(existing, body), False
    order = Order(account=account, instrument=instrument, client_order_id=client_order_id or None, side=side, type=type,
                  time_in_force=time_in_force, qty=qty, limit_price=limit_price, stop_price=stop_price,
                  post_only=post_only, min_qty=min_qty, status=Order.Status.ACCEPTED)
    try:
        order.reserve_price = risk_check_order(instrument=instrument, frozen=False, side=side, qty=qty,
                                               limit_price=limit_price, stop_price=stop_price)
        limits = entry_risk_for(account_id=account.pk)
        if limits is not None:
            limits.check(order=order)
        order.reserved_cash = reserve_target(order)
        _store_accepted(order)
        bus_publish_on_commit(BusCommand(CommandKind.NEW, instrument.symbol, order.pk))
        ORDERS_ACCEPTED.labels(instrument.symbol).inc()
        log.info("order accepted", order_id=order.pk, account_id=order.account_id, symbol=instrument.symbol)
    except ServiceError as refusal:
        return _store_rejected(order, refusal, body)
    except IntegrityError:
        # A concurrent request with the same client_order_id won the insert.
        existing = Order.objects.select_related("instrument").filter(account=account, client_order_id=client_order_id).first()
        if existing is None:
            raise
        return _replayed(existing, body), False
    return order, True


def _store_rejected(order: Order, refusal: ServiceError, body: dict) -> tuple[Order, bool]:
    order.pk = None
    order.status = Order.Status.REJECTED
    order.reject_reason = refusal.code
    order.reserved_cash = Decimal("0")
    try:
        order.save()
    except IntegrityError:
        existing = Order.objects.select_related("instrument").get(account=order.account, client_order_id=order.client_order_id)
        return _replayed(existing, body), False
    refusal.order = order
    ORDERS_REFUSED.labels(refusal.code).inc()
    log.info("order refused", order_id=order.pk, account_id=order.account_id, code=refusal.code)
    raise refusal


def order_place_many(*, account: Account, orders: list[dict]) -> list[tuple[Order | None, bool, ServiceError | None]]:
    """Place several orders of one account, with the outcome each would have had placed one by one
    in list order by `order_place`: (order, created, None) when placed or already placed with its
    client_order_id, or (order or None, False, error) when invalid (no order) or refused (the stored
    rejected order). Each stands alone: a refusal takes nothing from the others.

    Instead of one transaction per order: the instruments are read in one query, the account row and
    the sell positions are locked (select_for_update) and the reservations computed in order against
    them, so concurrent requests cannot overdraw; then one UPDATE for the account, one per position,
    one multi-row INSERT, and one pipelined append to the bus on commit. Should another request insert
    one of the same client_order_ids meanwhile, everything rolls back and the orders go one by one."""
    admission_check(symbols={body["symbol"] for body in orders})
    results: list[tuple[Order | None, bool, ServiceError | None] | None] = [None] * len(orders)
    instruments = instruments_get_cached(symbols=[body["symbol"] for body in orders])
    client_ids = {body.get("client_order_id") for body in orders} - {None, ""}
    existing = {o.client_order_id: o for o in Order.objects.filter(account=account, client_order_id__in=client_ids)
                .select_related("instrument")} if client_ids else {}
    fresh: list[tuple[int, Order]] = []
    first_with: dict[str, int] = {}  # client_order_id -> the earlier item of this list that stores it
    repeats: list[tuple[int, int]] = []
    for index, body in enumerate(orders):
        instrument = instruments.get(body["symbol"])
        try:
            if instrument is None:
                raise invalid("symbol", f"Unknown symbol {body['symbol']!r}.")
            validate_order_shape(instrument=instrument, type=body["type"], time_in_force=body.get("time_in_force", "gtc"),
                            qty=body["qty"], limit_price=body.get("limit_price"), stop_price=body.get("stop_price"),
                            post_only=body.get("post_only", False), min_qty=body.get("min_qty"))
        except ServiceError as error:
            results[index] = (None, False, error)
            continue
        client_order_id = body.get("client_order_id") or None
        if client_order_id in existing:
            try:
                results[index] = (_replayed(existing[client_order_id], body), False, None)
            except ServiceError as conflict:
                results[index] = (None, False, conflict)
            continue
        if client_order_id in first_with:
            repeats.append((index, first_with[client_order_id]))
            continue
        if client_order_id:
            first_with[client_order_id] = index
        fresh.append((index, Order(
            account=account, instrument=instrument, client_order_id=client_order_id, side=body["side"],
            type=body["type"], time_in_force=body.get("time_in_force", "gtc"), qty=body["qty"],
            limit_price=body.get("limit_price"), stop_price=body.get("stop_price"),
            post_only=body.get("post_only", False), min_qty=body.get("min_qty"), status=Order.Status.ACCEPTED)))
    if fresh:
        try:
            with transaction.atomic():
                _reserve_and_store(account, fresh, results)
        except IntegrityError:
            # A concurrent request stored one of these client_order_ids first: one by one, as
            # order_place settles such races.
            return [_place_one(account, body) for body in orders]
    for index, first in repeats:
        order, _, error = results[first]
        if order is None:
            results[index] = (None, False, error)
            continue
        try:
            results[index] = (_replayed(order, orders[index]), False, None)
        except ServiceError as conflict:
            results[index] = (None, False, conflict)
    return results


def _place_one(account: Account, body: dict) -> tuple[Order | None, bool, ServiceError | None]:
    try:
        order, created = order_place(account=account, **body)
    except ServiceError as error:
        return getattr(error, "order", None), False, error
    return order, created, None


def _reserve_and_store(account: Account, fresh: list[tuple[int, Order]], results: list) -> None:
    """Inside the batch's transaction: risk and reservations in list order against the locked rows,
    then the writes."""
    # Positions before the account: the engine worker writes a batch in that order too, so the
    # two can never wait on each other.
    sold = {order.instrument_id for _, order in fresh if order.side == Order.Side.SELL}
    # no_key: a FOR NO KEY UPDATE lock leaves the foreign key checks of concurrent inserts alone.
    positions = {p.instrument_id: p for p in Position.objects.select_for_update(no_key=True).filter(
        account_id=account.pk, instrument_id__in=sold).order_by("instrument_id")} if sold else {}
    locked = Account.objects.select_for_update(no_key=True).only("cash", "reserved_cash", "frozen").get(pk=account.pk)
    account.frozen = locked.frozen
    reserved_cash, reserved_qty = ZERO, defaultdict(lambda: ZERO)
    now = timezone.now()
    publish = []
    limits = entry_risk_for(account_id=account.pk, orders=len(fresh))
    for index, order in fresh:
        try:
            order.reserve_price = risk_check_order(instrument=order.instrument, frozen=locked.frozen, side=order.side,
                                                   qty=order.qty, limit_price=order.limit_price,
                                                   stop_price=order.stop_price)
            if limits is not None:
                limits.check(order=order)
            order.reserved_cash = reserve_target(order)
            if order.side == Order.Side.BUY:
                amount = order.reserved_cash
                if locked.frozen or locked.cash < locked.reserved_cash + reserved_cash + amount:
                    raise ServiceError("insufficient_buying_power", f"Buying power does not cover {amount} for this order.")
                reserved_cash += amount
            else:
                position = positions.get(order.instrument_id)
                if position is None or position.qty < position.reserved_qty + reserved_qty[order.instrument_id] + order.qty:
                    raise ServiceError("insufficient_position", "Not enough free quantity to sell (no short selling).")
                reserved_qty[order.instrument_id] += order.qty
            order.accepted_at = now
            results[index] = (order, True, None)
            publish.append((order.instrument.symbol, order))
        except ServiceError as refusal:
            order.status = Order.Status.REJECTED
            order.reject_reason = refusal.code
            order.reserved_cash = ZERO
            refusal.order = order
            results[index] = (order, False, refusal)
            ORDERS_REFUSED.labels(refusal.code).inc()
    if reserved_cash:
        Account.objects.filter(pk=account.pk).update(reserved_cash=F("reserved_cash") + reserved_cash)
    for instrument_id, qty in reserved_qty.items():
        Position.objects.filter(pk=positions[instrument_id].pk).update(reserved_qty=F("reserved_qty") + qty)
    Order.objects.bulk_create([order for _, order in fresh])
    bus_publish_on_commit(*[BusCommand(CommandKind.NEW, symbol, order.pk) for symbol, order in publish])
    for symbol, _ in publish:
        ORDERS_ACCEPTED.labels(symbol).inc()
    log.info("orders accepted", account_id=account.pk, order_ids=[order.pk for _, order in publish],
             refused=[order.pk for _, order in fresh if order.status == Order.Status.REJECTED])
