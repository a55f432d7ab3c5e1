"""ExecutionReport (8) and the codes of FIX 4.4 for the venue's orders, from an order as the API
writes it (`orders.api.serializers.order_json`, also the body of the engine's order updates):
every number is the API's exact text."""

import itertools
import time
from decimal import Decimal

from gateways.fix.codec import utc_timestamp

SIDE = {"buy": "1", "sell": "2"}
SIDE_OF = {v: k for k, v in SIDE.items()}
ORD_TYPE = {"market": "1", "limit": "2", "stop": "3", "stop_limit": "4", "midpoint": "P"}
ORD_TYPE_OF = {v: k for k, v in ORD_TYPE.items()}
TIF = {"day": "0", "gtc": "1", "ioc": "3", "fok": "4"}
TIF_OF = {v: k for k, v in TIF.items()}
ORD_STATUS = {"accepted": "A", "new": "0", "partially_filled": "1", "pending_cancel": "6", "filled": "2",
              "canceled": "4", "rejected": "8", "expired": "C"}
FINAL = frozenset({"filled", "canceled", "rejected", "expired"})

# ExecType of each engine order event (realtime.formats.order_updates_by_account)
EXEC_TYPE = {"new": "0", "partial_fill": "F", "fill": "F", "canceled": "4", "expired": "C", "rejected": "8",
             "replaced": "5"}

# OrdRejReason (103) of the venue's refusal codes (API.md); 99 (other) for the rest, with the text.
ORD_REJ_REASON = {"symbol": "1", "instrument_halted": "2", "size_limit": "3", "insufficient_buying_power": "3",
                  "insufficient_position": "3", "duplicate": "6", "qty": "13"}

_counter = itertools.count(time.time_ns() // 1000)


def unique_suffix() -> str:
    """A number no other report of this or an earlier gateway process used (microseconds at start, counting up)."""
    return str(next(_counter))


def rej_reason(code: str | None, field: str | None = None) -> str:
    return ORD_REJ_REASON.get(field or "", ORD_REJ_REASON.get(code or "", "99"))


def execution_report(order: dict, *, exec_type: str, exec_id: str, ord_status: str | None = None,
                     cl_ord_id: str | None = None, orig_cl_ord_id: str | None = None, cum_qty: str | None = None,
                     last_px: str | None = None, last_qty: str | None = None, text: str | None = None,
                     reject_reason: str | None = None, extra=()) -> list[tuple[int, object]]:
    """The fields of an ExecutionReport of `order` (order_json's shape). `cum_qty` is the filled quantity
    as of this report (a batch's body shows the order as the batch left it)."""
    status = order["status"]
    cum = cum_qty if cum_qty is not None else order["filled_qty"]
    qty = order["qty"]
    if ord_status is None:
        ord_status = ORD_STATUS.get(status, "0")
        if status in ("filled", "partially_filled") and Decimal(cum) < Decimal(order["filled_qty"]):
            ord_status = "1" if Decimal(cum) else "0"
    final = ord_status in ("2", "4", "8", "C")
    leaves = "0" if final else str(Decimal(qty) - Decimal(cum))
    return [
        (37, order["id"] if order.get("id") is not None else "NONE"),
        (11, cl_ord_id if cl_ord_id is not None else order.get("client_order_id")),
        (41, orig_cl_ord_id),
        (17, exec_id),
        (150, exec_type),
        (39, ord_status),
        (103, reject_reason),
        (55, order["symbol"]),
        (54, SIDE.get(order["side"], "1")),
        (38, qty),
        (40, ORD_TYPE.get(order["type"])),
        (44, order.get("limit_price")),
        (99, order.get("stop_price")),
        (59, TIF.get(order.get("time_in_force"))),
        (18, "6" if order.get("post_only") else "M" if order.get("type") == "midpoint" else None),
        (110, order.get("min_qty")),
        (32, last_qty),
        (31, last_px),
        (151, leaves),
        (14, cum),
        (6, (order.get("avg_fill_price") or "0") if Decimal(cum) else "0"),
        (60, utc_timestamp()),
        (58, text),
        *extra,
    ]


def refused_order(*, symbol: str, side: str, qty: str, cl_ord_id: str, text: str, reject_reason: str,
                  order: dict | None = None) -> list[tuple[int, object]]:
    """ExecutionReport of a NewOrderSingle refused before any order was stored (or of the stored rejected one)."""
    body = order or {"id": None, "symbol": symbol, "side": SIDE_OF.get(side, "buy"), "qty": qty, "type": None,
                     "status": "rejected", "filled_qty": "0", "avg_fill_price": None}
    exec_id = f"{body['id']}-8" if body.get("id") is not None else f"R-{unique_suffix()}"
    fields = execution_report(body, exec_type="8", exec_id=exec_id, ord_status="8", cl_ord_id=cl_ord_id,
                              text=text, reject_reason=reject_reason)
    if body.get("type") is None:  # the order's own side and quantity as the request gave them
        fields = [(tag, side if tag == 54 else value) for tag, value in fields]
    return fields
