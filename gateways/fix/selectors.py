"""Reads of the FIX gateway's tables (sync: the gateway calls them from its database thread)."""

from gateways.fix.models import FixClOrdID, FixOutbound, FixSession
from orders.models import Order


def fix_session_get(*, sender_comp_id: str) -> FixSession | None:
    return FixSession.objects.select_related("account").filter(sender_comp_id=sender_comp_id).first()


def fix_sessions_enabled() -> list[FixSession]:
    return list(FixSession.objects.select_related("account").filter(enabled=True).order_by("id"))


def fix_journal_range(*, session_id: int, begin: int, end: int) -> list[tuple[int, bytes]]:
    """The journaled messages with MsgSeqNum in [begin, end], in order."""
    rows = FixOutbound.objects.filter(session_id=session_id, seq__gte=begin, seq__lte=end).order_by("seq")
    return [(row.seq, bytes(row.raw)) for row in rows.only("seq", "raw")]


def fix_cl_ord_ids_open(*, session_id: int) -> dict[int, list[str]]:
    """{order id: the session's ClOrdIDs for it, oldest first} for its orders still open."""
    out: dict[int, list[str]] = {}
    rows = FixClOrdID.objects.filter(session_id=session_id, order__status__in=Order.OPEN_STATUSES).order_by("id")
    for order_id, cl_ord_id in rows.values_list("order_id", "cl_ord_id"):
        out.setdefault(order_id, []).append(cl_ord_id)
    return out


def fix_order_find(*, session_id: int, account_id: int, cl_ord_id: str | None = None,
                   order_id: str | None = None) -> Order | None:
    """The account's order a request names: by a ClOrdID the session used, by the order's
    client_order_id (an order from REST), or by OrderID(37)."""
    queryset = Order.objects.select_related("instrument").filter(account_id=account_id)
    if cl_ord_id:
        found = FixClOrdID.objects.filter(session_id=session_id, cl_ord_id=cl_ord_id).values_list("order_id", flat=True).first()
        order = queryset.filter(pk=found).first() if found else queryset.filter(client_order_id=cl_ord_id).first()
        if order is not None:
            return order
    if order_id and order_id.isdigit() and len(order_id) < 19:
        return queryset.filter(pk=int(order_id)).first()
    return None


def fix_cl_ord_id_taken(*, session_id: int, account_id: int, cl_ord_id: str) -> bool:
    return FixClOrdID.objects.filter(session_id=session_id, cl_ord_id=cl_ord_id).exists() \
        or Order.objects.filter(account_id=account_id, client_order_id=cl_ord_id).exists()
