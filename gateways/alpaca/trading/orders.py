"""/v2/orders: submit, list, get (by id and by client order id), replace, cancel, cancel all."""

from rest_framework.response import Response

from common.errors import ServiceError
from gateways.alpaca.base import AlpacaView, current_account
from gateways.alpaca.errors import AlpacaError, invalid, not_found
from gateways.alpaca.ids import ORDER, order_uuid, parse_uuid, pk_of
from gateways.alpaca.inputs import (
    body_object,
    boolean,
    choice,
    client_order_id_value,
    decimal_value,
    int_param,
    symbol_value,
    symbols_param,
    time_param,
)
from gateways.alpaca.trading.formats import order_answer
from orders.api.serializers import order_json
from orders.api.views.common import placing_account
from orders.models import Order
from orders.selectors import order_get, order_get_by_client_id, order_history, order_list_by_ids
from orders.services import order_cancel, order_cancel_all, order_place, order_replace
from realtime.publish.notices import order_notices_publish

TYPES = tuple(Order.Type.values)
TIMES_IN_FORCE = tuple(Order.TimeInForce.values)
SIDES = tuple(Order.Side.values)
# What Alpaca has and the venue does not (docs/alpaca.md): refused with a clear message.
UNSUPPORTED_FIELDS = {
    "notional": "notional orders are not supported: give qty (no fractional shares)",
    "trail_price": "trailing stop orders are not supported",
    "trail_percent": "trailing stop orders are not supported",
    "take_profit": "bracket orders are not supported",
    "stop_loss": "bracket orders are not supported",
    "legs": "multi-leg orders are not supported",
}
UNSUPPORTED_VALUES = {
    ("type", "trailing_stop"): "trailing stop orders are not supported",
    ("time_in_force", "opg"): "opening auction orders (opg) are not supported",
    ("time_in_force", "cls"): "closing auction orders (cls) are not supported",
}
INTENTS = ("buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close")


def order_request(data) -> dict:
    """The keyword arguments of `order_place` from an Alpaca order body."""
    data = body_object(data)
    for name, message in UNSUPPORTED_FIELDS.items():
        if data.get(name) not in (None, ""):
            raise invalid(message)
    for (name, value), message in UNSUPPORTED_VALUES.items():
        if data.get(name) == value:
            raise invalid(message)
    if data.get("order_class") not in (None, "", "simple"):
        raise invalid("only simple orders are supported")
    if boolean(data, "extended_hours"):
        raise invalid("extended hours orders are not supported")
    choice(data, "position_intent", INTENTS)
    return {
        "symbol": symbol_value(data.get("symbol")),
        "qty": decimal_value(data, "qty", required=True),
        "side": choice(data, "side", SIDES, required=True),
        "type": choice(data, "type", TYPES, required=True),
        "time_in_force": choice(data, "time_in_force", TIMES_IN_FORCE, required=True),
        "limit_price": decimal_value(data, "limit_price"),
        "stop_price": decimal_value(data, "stop_price"),
        # Absent: the order's own UUID is its client order id (trading.formats), with no lookup to pay.
        "client_order_id": client_order_id_value(data),
    }


def order_pk(raw: str) -> int:
    """The database id of the order a path names; a UUID that is not one of ours is not found."""
    value = parse_uuid(raw)
    if value is None:
        raise invalid(f"order_id must be a UUID, not {raw[:40]!r}")
    pk = pk_of(value, ORDER)
    if pk is None:
        raise not_found("order not found")
    return pk


class OrderListView(AlpacaView):
    def post(self, request):
        params = order_request(request.data)
        order, created = order_place(account=placing_account(request), **params)
        if not created:
            raise invalid("client_order_id must be unique")
        return Response(order_answer(order))

    def get(self, request):
        query = request.query_params
        orders = order_history(
            account=current_account(request),
            status=choice(query, "status", ("open", "closed", "all"), default="open"),
            symbols=symbols_param(query.get("symbols"), limit=500),
            side=choice(query, "side", SIDES),
            after=time_param(query, "after"), until=time_param(query, "until"),
            ascending=choice(query, "direction", ("asc", "desc"), default="desc") == "asc",
            limit=int_param(query, "limit", default=50, low=1, high=500))
        return Response([order_answer(order) for order in orders])

    def delete(self, request):
        account = current_account(request)
        canceled = order_cancel_all(account=account)
        order_notices_publish(account_id=account.pk, event="pending_cancel",
                              orders=[order_json(o) for o in order_list_by_ids(account=account, order_ids=canceled)])
        return Response([{"id": order_uuid(pk), "status": 200, "body": None} for pk in canceled], status=207)


class OrderDetailView(AlpacaView):
    def get(self, request, order_id: str):
        order = order_get(account=current_account(request), order_id=order_pk(order_id))
        if order is None:
            raise not_found("order not found")
        return Response(order_answer(order))

    def patch(self, request, order_id: str):
        pk = order_pk(order_id)
        data = body_object(request.data)
        account = current_account(request)
        for name in ("stop_price", "trail", "time_in_force", "client_order_id"):
            if data.get(name) not in (None, ""):
                order = order_get(account=account, order_id=pk)
                if order is None:
                    raise not_found("order not found")
                if name == "time_in_force" and data[name] == order.time_in_force:
                    continue
                raise invalid(f"replacing {name} is not supported: cancel and submit a new order")
        qty, limit_price = decimal_value(data, "qty"), decimal_value(data, "limit_price")
        try:
            order = order_replace(account=account, order_id=pk, qty=qty, limit_price=limit_price)
        except ServiceError as error:
            if error.kind == "not_found":
                raise not_found("order not found") from None
            raise
        return Response(order_answer(order))

    def delete(self, request, order_id: str):
        account = current_account(request)
        try:
            order = order_cancel(account=account, order_id=order_pk(order_id))
        except ServiceError as error:
            if error.kind == "not_found":
                raise not_found("order not found") from None
            if error.code == "order_not_open":
                raise AlpacaError(422, 42210000, error.detail) from None
            raise
        order_notices_publish(account_id=account.pk, event="pending_cancel", orders=[order_json(order)])
        return Response(status=204)


class OrderByClientIdView(AlpacaView):
    def get(self, request):
        client_order_id = client_order_id_value(request.query_params)
        if client_order_id is None:
            raise invalid("client_order_id is required")
        account = current_account(request)
        order = order_get_by_client_id(account=account, client_order_id=client_order_id)
        if order is None:  # an order placed without one shows its own id as its client order id
            value = parse_uuid(client_order_id)
            pk = pk_of(value, ORDER) if value is not None else None
            order = order_get(account=account, order_id=pk) if pk is not None else None
            if order is not None and order.client_order_id:
                order = None
        if order is None:
            raise not_found("order not found")
        return Response(order_answer(order))
