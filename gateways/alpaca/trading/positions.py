"""/v2/positions: list, get, close one (all, a qty or a percentage) and close all, each closing
sale a market order through order_place like any other."""

import time
from decimal import ROUND_DOWN, Decimal

from rest_framework.response import Response

from common.errors import ServiceError
from gateways.alpaca.base import AlpacaView, current_account
from gateways.alpaca.errors import AlpacaError, invalid, not_found, service_error_status
from gateways.alpaca.ids import asset_uuid, parse_uuid
from gateways.alpaca.inputs import boolean, decimal_value, symbol_value
from gateways.alpaca.trading.formats import order_answer, position_json
from orders.models import Order
from orders.selectors import PositionValue, position_list
from orders.services import order_cancel_all, order_place

HUNDRED = Decimal(100)
CANCEL_WAIT_SECONDS = 10.0


def _position(account, raw: str) -> PositionValue:
    value = parse_uuid(raw)
    wanted = str(value) if value is not None else symbol_value(raw, "symbol_or_asset_id")
    for position in position_list(account=account):
        if wanted in (position.symbol, asset_uuid(position.symbol)):
            return position
    raise not_found("position does not exist")


def _close(account, position: PositionValue, qty: Decimal | None = None) -> Order:
    qty = position.qty if qty is None else qty
    order, _ = order_place(account=account, symbol=position.symbol, side="sell", type="market", qty=qty,
                           time_in_force="day")
    return order


def close_qty(query, position: PositionValue) -> Decimal | None:
    qty, percentage = decimal_value(query, "qty"), decimal_value(query, "percentage")
    if qty is not None and percentage is not None:
        raise invalid("give qty or percentage, not both")
    if percentage is not None:
        if percentage > HUNDRED:
            raise invalid("percentage must be at most 100")
        lot = position.instrument.lot_size
        qty = (position.qty * percentage / HUNDRED / lot).to_integral_value(ROUND_DOWN) * lot
        if qty <= 0:
            raise invalid(f"{percentage}% of {position.qty} is less than one lot")
    if qty is not None and qty > position.qty:
        raise AlpacaError(403, 40310000, f"insufficient qty available for order (requested: {qty}, "
                                         f"available: {position.qty})")
    return qty


class PositionListView(AlpacaView):
    def get(self, request):
        return Response([position_json(p) for p in position_list(account=current_account(request))])

    def delete(self, request):
        account = current_account(request)
        if boolean(request.query_params, "cancel_orders"):
            order_cancel_all(account=account)
            self._wait_for_cancels(account)
        results = []
        for position in position_list(account=account):
            try:
                order = _close(account, position)
            except ServiceError as error:
                status, code, message = service_error_status(error)
                results.append({"symbol": position.symbol, "status": status, "body": {
                    "code": code, "message": message, "symbol": position.symbol}})
                continue
            body = order_answer(order)
            results.append({"symbol": position.symbol, "status": 200, "order_id": body["id"], "body": body})
        return Response(results, status=207)

    @staticmethod
    def _wait_for_cancels(account) -> None:
        """The engine releases what canceled orders held; the closing sales need it free."""
        deadline = time.monotonic() + CANCEL_WAIT_SECONDS
        while Order.objects.filter(account=account, status=Order.Status.PENDING_CANCEL).exists():
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)


class PositionDetailView(AlpacaView):
    def get(self, request, symbol_or_asset_id: str):
        return Response(position_json(_position(current_account(request), symbol_or_asset_id)))

    def delete(self, request, symbol_or_asset_id: str):
        account = current_account(request)
        position = _position(account, symbol_or_asset_id)
        return Response(order_answer(_close(account, position, close_qty(request.query_params, position))))
