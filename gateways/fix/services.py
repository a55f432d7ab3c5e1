"""Writes of the FIX gateway's tables (sync: the gateway calls them from its database thread;
the admin's reset action too)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import ServiceError
from gateways.fix.models import FixClOrdID, FixOutbound, FixSession
from orders.private import private_seq


def fix_session_connected(*, session_id: int, address: str, reset: bool) -> tuple[int, int]:
    """A connection logged on; with `reset` (ResetSeqNumFlag) both sequences start over at 1.
    Returns (next in, next out) as stored."""
    with transaction.atomic():
        session = FixSession.objects.select_for_update().get(pk=session_id)
        if reset:
            FixOutbound.objects.filter(session_id=session_id).delete()
            session.next_in_seq = session.next_out_seq = 1
        session.connected_at = timezone.now()
        session.connected_from = address[:64]
        session.save(update_fields=["next_in_seq", "next_out_seq", "connected_at", "connected_from"])
    return session.next_in_seq, session.next_out_seq


def fix_session_disconnected(*, session_id: int, reason: str) -> None:
    FixSession.objects.filter(pk=session_id).update(connected_at=None, last_logout_at=timezone.now(),
                                                    last_logout_reason=reason[:200])


def fix_sessions_all_disconnected() -> None:
    """The gateway starts: no session is connected."""
    FixSession.objects.filter(connected_at__isnull=False).update(connected_at=None)


def fix_session_store(*, session_id: int, next_in: int, next_out: int, private_seq: int | None,
                      journal: list[tuple[int, str, bytes]]) -> None:
    """The session's sequence numbers, how far in its account's private stream its reports go, and
    the application messages about to be sent, in one transaction (before they are written to the
    socket)."""
    with transaction.atomic():
        if journal:
            FixOutbound.objects.bulk_create([FixOutbound(session_id=session_id, seq=seq, msg_type=msg_type, raw=raw)
                                             for seq, msg_type, raw in journal], ignore_conflicts=True)
        FixSession.objects.filter(pk=session_id).update(next_in_seq=next_in, next_out_seq=next_out,
                                                        private_seq=private_seq)


def fix_session_private_start(*, session_id: int) -> int:
    """Where the session's reports start in its account's private stream: where they stopped, or
    for a session never loaded, the account's last seq now."""
    with transaction.atomic():
        session = FixSession.objects.select_for_update().get(pk=session_id)
        if session.private_seq is None:
            session.private_seq = private_seq(account_id=session.account_id)
            session.save(update_fields=["private_seq"])
    return session.private_seq


def fix_session_reset(*, session: FixSession) -> None:
    """Ops: both sequence numbers back to 1 and the journal dropped. Refused while connected (the
    gateway holds the numbers then)."""
    with transaction.atomic():
        locked = FixSession.objects.select_for_update().get(pk=session.pk)
        if locked.connected_at is not None:
            raise ServiceError("session_connected", "Disconnect the session before resetting its sequence numbers.")
        FixOutbound.objects.filter(session_id=session.pk).delete()
        FixSession.objects.filter(pk=session.pk).update(next_in_seq=1, next_out_seq=1)


def fix_cl_ord_id_add(*, session_id: int, cl_ord_id: str, order_id: int) -> None:
    """Record a ClOrdID of the session; a ClOrdID already used refuses."""
    try:
        with transaction.atomic():
            FixClOrdID.objects.create(session_id=session_id, cl_ord_id=cl_ord_id, order_id=order_id)
    except IntegrityError:
        raise ServiceError("duplicate_cl_ord_id", f"ClOrdID {cl_ord_id!r} was already used.") from None


def fix_cl_ord_ids_add(*, session_id: int, pairs: list[tuple[str, int]]) -> None:
    """ClOrdIDs of several new orders (already unique as client_order_id of the account)."""
    FixClOrdID.objects.bulk_create([FixClOrdID(session_id=session_id, cl_ord_id=c, order_id=o) for c, o in pairs],
                                   ignore_conflicts=True)
