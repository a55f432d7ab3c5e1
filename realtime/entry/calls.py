"""Order-entry requests of one socket carried out in the database thread, through the same
services, parsers, rate limit and error codes as REST (orders.api). Blocking: run only in the
order-entry threads (realtime/entry/session.py), never on the event loop.

A run of consecutive `place` requests goes to the database as one `order_place_many` (each
order still stands alone, with the outcome it would have had placed one by one); a single
place is `order_place`, as a REST POST."""

from dataclasses import dataclass

from common.errors import ServiceError
from common.logging import get_logger
from orders.api.filters import SymbolFilter
from orders.api.inputs import OrderReplaceSerializer, parse_order
from orders.api.serializers import order_json
from orders.api.throttling import api_rate_take
from orders.models import Account
from orders.selectors import order_list_by_ids
from orders.services import account_for_user, order_cancel, order_cancel_all, order_place, order_place_many, order_replace
from realtime.entry.protocol import (
    Request,
    ack_answer,
    error_answer,
    invalid_answer,
    order_id_of,
    rate_limited_answer,
    service_error_answer,
)

log = get_logger("realtime.entry")


@dataclass(slots=True)
class Caller:
    """Who sends a socket's requests: None for an anonymous socket."""

    user: object | None
    can_trade: bool
    account_id: int | None = None  # found on the first request that needs it

    def account(self) -> Account:
        if self.account_id is None:
            self.account_id = account_for_user(user=self.user).pk
        # order_place and order_cancel read only the id; order_replace reads the account itself.
        return Account(pk=self.account_id, user_id=self.user.pk)


def requests_run(requests: list[Request], *, caller: Caller) -> list[str]:
    """The answer of each request, in order. Never raises."""
    pending = [r for r in requests if r.answer is None]
    if pending:
        if caller.user is None:
            for request in pending:
                request.answer = error_answer(request.id, 401, "auth_required", "Authenticate the socket to trade.")
        elif not caller.can_trade:
            for request in pending:
                request.answer = error_answer(request.id, 403, "forbidden", "This API key may not trade.")
        else:
            _rate_limit(pending, user_id=caller.user.pk)
            _carry_out([r for r in pending if r.answer is None], caller=caller)
    return [r.answer for r in requests]


def _rate_limit(pending: list[Request], *, user_id: int) -> None:
    taken, wait = api_rate_take(user_id=user_id, count=len(pending))
    for request in pending[taken:]:
        request.answer = rate_limited_answer(request.id, wait)


def _carry_out(pending: list[Request], *, caller: Caller) -> None:
    places: list[tuple[Request, dict]] = []
    for request in pending:
        if request.action == "place":
            body = _order_body(request)
            if body is not None:
                places.append((request, body))
            continue
        _flush(places, caller=caller)
        places = []
        try:
            ACTIONS[request.action](request, caller)
        except ServiceError as error:
            request.answer = service_error_answer(request.id, error)
        except Exception:
            log.exception("order entry request failed", action=request.action)
            request.answer = _failed(request)
    _flush(places, caller=caller)


def _failed(request: Request) -> str:
    return error_answer(request.id, 500, "internal_error", "The request failed; it may not have been carried out.")


def _flush(places: list[tuple[Request, dict]], *, caller: Caller) -> None:
    try:
        _place_all(places, caller=caller)
    except Exception:
        log.exception("order entry places failed")
        for request, _ in places:
            if request.answer is None:
                request.answer = _failed(request)


def _order_body(request: Request) -> dict | None:
    raw = request.message.get("order")
    if not isinstance(raw, dict):
        request.answer = invalid_answer(request.id, {"order": ['Give the order as an object, as for POST orders/.']})
        return None
    body, errors = parse_order(raw)
    if errors:
        request.answer = invalid_answer(request.id, errors)
        return None
    return body


def _placed_answer(request: Request, order, created: bool, error: ServiceError | None) -> str:
    if error is None:
        return ack_answer(request.id, 201 if created else 200, order=order_json(order))
    extra = {"order": order_json(order)} if order is not None and error.kind == "refused" else {}
    return service_error_answer(request.id, error, **extra)


def _place_all(places: list[tuple[Request, dict]], *, caller: Caller) -> None:
    if not places:
        return
    account = caller.account()
    if len(places) == 1:
        request, body = places[0]
        try:
            order, created = order_place(account=account, **body)
        except ServiceError as error:
            request.answer = _placed_answer(request, getattr(error, "order", None), False, error)
        else:
            request.answer = _placed_answer(request, order, created, None)
        return
    try:
        outcomes = order_place_many(account=account, orders=[body for _, body in places])
    except ServiceError as error:  # the engine is behind: every order of the run is refused
        for request, _ in places:
            request.answer = service_error_answer(request.id, error)
        return
    for (request, _), outcome in zip(places, outcomes, strict=True):
        request.answer = _placed_answer(request, *outcome)


def _order_id(request: Request) -> int | None:
    order_id = order_id_of(request.message)
    if order_id is None:
        request.answer = invalid_answer(request.id, {"order_id": ["Give the order's id, a positive integer."]})
    return order_id


def _cancel(request: Request, caller: Caller) -> None:
    order_id = _order_id(request)
    if order_id is not None:
        order = order_cancel(account=caller.account(), order_id=order_id)
        request.answer = ack_answer(request.id, 202, order=order_json(order))


def _replace(request: Request, caller: Caller) -> None:
    order_id = _order_id(request)
    if order_id is None:
        return
    changes = OrderReplaceSerializer(data={k: request.message[k] for k in ("qty", "limit_price") if k in request.message})
    if not changes.is_valid():
        request.answer = invalid_answer(request.id, changes.errors)
        return
    order = order_replace(account=account_for_user(user=caller.user), order_id=order_id, **changes.validated_data)
    request.answer = ack_answer(request.id, 202, order=order_json(order))


def _cancel_all(request: Request, caller: Caller) -> None:
    query = SymbolFilter(data={"symbol": request.message["symbol"]} if "symbol" in request.message else {})
    if not query.is_valid():
        request.answer = invalid_answer(request.id, query.errors)
        return
    account = caller.account()
    canceled = order_cancel_all(account=account, symbol=query.validated_data.get("symbol"))
    orders = order_list_by_ids(account=account, order_ids=canceled)
    request.answer = ack_answer(request.id, 202, orders=[order_json(order) for order in orders])


ACTIONS = {"cancel": _cancel, "replace": _replace, "cancel_all": _cancel_all}
