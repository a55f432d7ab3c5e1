"""Order entry: NewOrderSingle (D), OrderCancelRequest (F), OrderCancelReplaceRequest (G),
OrderStatusRequest (H) and OrderMassCancelRequest (q), through the services REST uses; and the
ExecutionReports of the engine's order events for order entry and drop copy sessions."""

from decimal import Decimal

from common.errors import ServiceError
from gateways.fix import reports
from gateways.fix.codec import Message
from gateways.fix.reports import SIDE, execution_report, refused_order, unique_suffix
from gateways.fix.selectors import fix_cl_ord_id_taken, fix_order_find
from gateways.fix.services import fix_cl_ord_id_add, fix_cl_ord_ids_add
from orders.api.serializers import order_json
from orders.models import Account
from orders.services import order_cancel, order_cancel_all, order_place, order_place_many, order_replace


class Refusal(Exception):
    def __init__(self, text: str, reason: str = "99"):
        super().__init__(text)
        self.text, self.reason = text, reason


def order_body(message: Message) -> dict:
    """The order_place arguments of a NewOrderSingle; Refusal for what the venue does not take."""
    side = reports.SIDE_OF.get(message.get(54))
    if side is None:
        raise Refusal("Side(54) must be 1 (buy) or 2 (sell)", "11")
    ord_type = reports.ORD_TYPE_OF.get(message.get(40))
    if ord_type is None:
        raise Refusal(f"OrdType(40) {message.get(40)} is not supported: 1 market, 2 limit, 3 stop, 4 stop limit, P midpoint peg", "11")
    tif = reports.TIF_OF.get(message.get(59, "0"))
    if tif is None:
        raise Refusal(f"TimeInForce(59) {message.get(59)} is not supported: 0 day, 1 GTC, 3 IOC, 4 FOK", "11")
    exec_inst = (message.get(18) or "").split()
    if any(value not in ("6", "M") for value in exec_inst):
        raise Refusal("ExecInst(18): 6 (participate don't initiate: post-only) or M (mid-price peg) only", "11")
    if (ord_type == "midpoint") != ("M" in exec_inst):
        raise Refusal("a midpoint order is OrdType(40) P with ExecInst(18) M", "11")
    body = {"symbol": message.get(55), "side": side, "type": ord_type, "qty": Decimal(message.get(38)),
            "time_in_force": tif, "post_only": "6" in exec_inst, "client_order_id": message.get(11)}
    if ord_type == "midpoint":
        if message.get(44) is not None:
            body["limit_price"] = Decimal(message.get(44))  # the cap
        if message.get(110) is not None:
            body["min_qty"] = Decimal(message.get(110))
    if ord_type in ("limit", "stop_limit"):
        if message.get(44) is None:
            raise Refusal("Price(44) is required for a limit order")
        body["limit_price"] = Decimal(message.get(44))
    if ord_type in ("stop", "stop_limit"):
        if message.get(99) is None:
            raise Refusal("StopPx(99) is required for a stop order")
        body["stop_price"] = Decimal(message.get(99))
    if len(body["client_order_id"]) > 64:
        raise Refusal("ClOrdID(11) is longer than 64 characters")
    return body


def _db_place(*, session_id: int, account_id: int, bodies: list[dict]) -> list[tuple]:
    """[(order json or None, created, error)] in order; the ClOrdIDs of new orders recorded."""
    account = Account(pk=account_id)
    if len(bodies) == 1:
        try:
            order, created = order_place(account=account, **bodies[0])
            results = [(order, created, None)]
        except ServiceError as error:
            results = [(getattr(error, "order", None), False, error)]
    else:
        results = order_place_many(account=account, orders=bodies)
    fix_cl_ord_ids_add(session_id=session_id, pairs=[(order.client_order_id, order.pk)
                                                     for order, created, _ in results if created])
    return [(order_json(order) if order is not None and order.pk is not None else None, created, error)
            for order, created, error in results]


def _db_request(*, kind: str, session_id: int, account_id: int, message: Message) -> dict:
    """A cancel or replace: {order, error} with the order's json as the service left it (or as it was)."""
    cl_ord_id = message.get(11)
    order = fix_order_find(session_id=session_id, account_id=account_id, cl_ord_id=message.get(41),
                           order_id=message.get(37))
    if order is None:
        return {"order": None, "error": ServiceError("not_found", "Unknown order", kind="not_found")}
    if order.side != reports.SIDE_OF.get(message.get(54)) or order.instrument.symbol != message.get(55):
        return {"order": order_json(order), "error": ServiceError("mismatch", "Side(54) and Symbol(55) must be the order's")}
    if fix_cl_ord_id_taken(session_id=session_id, account_id=account_id, cl_ord_id=cl_ord_id):
        return {"order": order_json(order), "error": ServiceError("duplicate", f"ClOrdID {cl_ord_id!r} was already used")}
    account = Account.objects.get(pk=account_id)
    try:
        if kind == "cancel":
            order = order_cancel(account=account, order_id=order.pk)
        else:
            price = message.get(44)
            order = order_replace(account=account, order_id=order.pk, qty=Decimal(message.get(38)),
                                  limit_price=Decimal(price) if price is not None else None)
    except ServiceError as error:
        order.refresh_from_db()
        return {"order": order_json(order), "error": error}
    fix_cl_ord_id_add(session_id=session_id, cl_ord_id=cl_ord_id, order_id=order.pk)
    return {"order": order_json(order), "error": None}


def _db_status(*, session_id: int, account_id: int, message: Message) -> dict | None:
    order = fix_order_find(session_id=session_id, account_id=account_id, cl_ord_id=message.get(11),
                           order_id=message.get(37))
    return order_json(order) if order is not None else None


def _db_mass_cancel(*, account_id: int, symbol: str | None) -> int:
    return len(order_cancel_all(account=Account(pk=account_id), symbol=symbol))


CXL_REJ_REASON = {"not_found": "1", "order_not_open": "0", "replace_pending": "3", "duplicate": "6"}


class OrderEntry:
    """The handler of order entry sessions (gateway.handlers["order_entry"])."""

    def __init__(self, gateway):
        self.gateway = gateway

    async def handle(self, state, batch: list[Message]) -> None:
        index = 0
        while index < len(batch):
            if batch[index].msg_type == "D":
                end = index
                while end < len(batch) and batch[end].msg_type == "D":
                    end += 1
                await self._new_orders(state, batch[index:end])
                index = end
                continue
            message = batch[index]
            index += 1
            if message.msg_type in ("F", "G"):
                await self._cancel_or_replace(state, message)
            elif message.msg_type == "H":
                await self._status(state, message)
            elif message.msg_type == "q":
                await self._mass_cancel(state, message)

    async def _new_orders(self, state, messages: list[Message]) -> None:
        bodies, answers = [], []
        for message in messages:
            try:
                bodies.append(order_body(message))
                answers.append(None)
            except Refusal as refusal:
                answers.append(refusal)
        for body in bodies:
            state.hold(("c", body["client_order_id"]))
        try:
            results = iter(await self.gateway.db(_db_place, session_id=state.id, account_id=state.account_id,
                                                 bodies=bodies)) if bodies else iter(())
            for message, answer in zip(messages, answers):
                cl_ord_id = message.get(11)
                if answer is not None:
                    state.send("8", refused_order(symbol=message.get(55), side=message.get(54), qty=message.get(38),
                                                  cl_ord_id=cl_ord_id, text=answer.text, reject_reason=answer.reason))
                    continue
                order, created, error = next(results)
                if created:
                    state.orders[order["id"]] = cl_ord_id
                    state.send("8", execution_report(order, exec_type="A", ord_status="A", exec_id=f"{order['id']}-A",
                                                     cl_ord_id=cl_ord_id))
                elif error is None:
                    state.send("8", refused_order(symbol=message.get(55), side=message.get(54), qty=message.get(38),
                                                  cl_ord_id=cl_ord_id, text=f"duplicate ClOrdID {cl_ord_id}",
                                                  reject_reason="6"))
                else:
                    state.send("8", refused_order(symbol=message.get(55), side=message.get(54), qty=message.get(38),
                                                  cl_ord_id=cl_ord_id, text=error.detail,
                                                  reject_reason=reports.rej_reason(error.code, error.field), order=order))
        finally:
            for body in bodies:
                self.gateway.release(state, ("c", body["client_order_id"]))

    async def _cancel_or_replace(self, state, message: Message) -> None:
        kind = "cancel" if message.msg_type == "F" else "replace"
        result = await self.gateway.db(_db_request, kind=kind, session_id=state.id, account_id=state.account_id,
                                       message=message)
        order, error = result["order"], result["error"]
        cl_ord_id, orig = message.get(11), message.get(41)
        if error is not None:
            state.send("9", [(37, order["id"] if order else "NONE"), (11, cl_ord_id), (41, orig),
                             (39, reports.ORD_STATUS.get(order["status"], "8") if order else "8"),
                             (434, "1" if kind == "cancel" else "2"), (102, CXL_REJ_REASON.get(error.code, "99")),
                             (58, error.detail[:200])])
            return
        key = ("o", order["id"])
        state.hold(key)
        try:
            state.pending[order["id"]] = (kind, cl_ord_id, orig)
            state.send("8", execution_report(order, exec_type="6" if kind == "cancel" else "E",
                                             ord_status="6" if kind == "cancel" else "E",
                                             exec_id=f"{order['id']}-{'6' if kind == 'cancel' else 'E'}-{unique_suffix()}",
                                             cl_ord_id=cl_ord_id, orig_cl_ord_id=orig))
        finally:
            self.gateway.release(state, key)

    async def _status(self, state, message: Message) -> None:
        order = await self.gateway.db(_db_status, session_id=state.id, account_id=state.account_id, message=message)
        extra = [(790, message.get(790))]
        if order is None:
            state.send("8", [(37, "NONE"), (11, message.get(11)), (17, f"I-{unique_suffix()}"), (150, "I"), (39, "8"),
                             (55, message.get(55)), (54, message.get(54)), (151, "0"), (14, "0"), (6, "0"),
                             (58, "Unknown order"), *extra])
            return
        state.send("8", execution_report(order, exec_type="I", exec_id=f"{order['id']}-I-{unique_suffix()}",
                                         cl_ord_id=message.get(11), extra=extra))

    async def _mass_cancel(self, state, message: Message) -> None:
        request_type, symbol = message.get(530), message.get(55)
        base = [(11, message.get(11)), (37, f"MC-{unique_suffix()}"), (530, request_type)]
        if request_type not in ("1", "7") or (request_type == "1" and not symbol):
            state.send("r", base + [(531, "0"), (532, "0" if request_type not in ("1", "7") else "1"),
                                    (58, "MassCancelRequestType(530) 1 (with Symbol) or 7 (all orders)")])
            return
        count = await self.gateway.db(_db_mass_cancel, account_id=state.account_id,
                                      symbol=symbol if request_type == "1" else None)
        state.send("r", base + [(55, symbol if request_type == "1" else None), (531, request_type), (533, count)])


def reports_of_updates(state, items: list[tuple[int, dict]]) -> list[tuple[str, list]]:
    """The ExecutionReports (and OrderCancelRejects) as (MsgType, fields) a session gets for order updates
    of its account's private stream, (seq, body) in seq order: an order entry session those of its own
    orders, a drop copy all. A body's order is as its batch left it: each report's CumQty is that
    less the fills of the same batch after it."""
    later_fills: dict[tuple, Decimal] = {}
    cums: list[str | None] = [None] * len(items)
    for index in range(len(items) - 1, -1, -1):
        order = items[index][1]["order"]
        key = (order["id"], order["filled_qty"], order["updated_at"])  # one batch's body of the order
        behind = later_fills.get(key, Decimal(0))
        cums[index] = str(Decimal(order["filled_qty"]) - behind) if behind else order["filled_qty"]
        if items[index][1].get("fill"):
            later_fills[key] = behind + Decimal(items[index][1]["fill"]["qty"])
    out = []
    for (seq, update), cum in zip(items, cums):
        order, event = update["order"], update["event"]
        order_id = order["id"]
        if state.kind == "order_entry" and order_id not in state.orders:
            continue
        current = state.orders.get(order_id) if state.kind == "order_entry" else order.get("client_order_id")
        orig = None
        pending = state.pending.get(order_id)
        if event == "rejected" and order["status"] != "rejected":  # the engine refused a replace
            state.pending.pop(order_id, None)
            if pending:
                out.append(("9", [(37, order_id), (11, pending[1]), (41, pending[2]),
                                  (39, reports.ORD_STATUS.get(order["status"], "0")), (434, "2"), (102, "99"),
                                  (58, "the engine refused the replace")]))
            continue
        if pending and ((event == "canceled" and pending[0] == "cancel") or (event == "replaced" and pending[0] == "replace")):
            state.pending.pop(order_id)
            current, orig = pending[1], pending[2]
            if state.kind == "order_entry":
                state.orders[order_id] = current
        fill = update.get("fill") or {}
        exec_id = f"{state.account_id}-{seq}"  # the event's place in the account's private stream
        ord_status = None
        if event == "new":
            ord_status = "1" if Decimal(cum) else "0"
        elif event == "partial_fill":
            ord_status = "1"
        elif event == "replaced":
            ord_status = "1" if Decimal(cum) else "0"
        out.append(("8", execution_report(
            order, exec_type=reports.EXEC_TYPE.get(event, "I"), exec_id=exec_id, ord_status=ord_status,
            cl_ord_id=current, orig_cl_ord_id=orig, cum_qty=cum, last_px=fill.get("price"), last_qty=fill.get("qty"),
            text=order.get("reject_reason") if event == "rejected" else None,
            reject_reason="99" if event == "rejected" else None)))
        if state.kind == "order_entry" and event in ("fill", "canceled", "expired", "rejected") \
                and order["status"] in reports.FINAL:
            state.orders.pop(order_id, None)
            state.pending.pop(order_id, None)
    return out


__all__ = ["OrderEntry", "SIDE", "reports_of_updates"]
