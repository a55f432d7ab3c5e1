"""Scheduled side work of the venue (schedules: orders/migrations/0002_beat_schedules.py,
editable in the admin under Periodic tasks)."""

from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from common.logging import get_logger
from orders.audit import audit_run
from orders.bus import BusCommand, CommandKind, bus_publish
from orders.models import Order
from orders.private import private_events_prune
from orders.services.ops import orders_expire_day

log = get_logger(__name__)

RESUBMIT_AFTER = timedelta(seconds=5)
# One run resends at most this many commands of each kind; the next run takes the rest.
RESUBMIT_BATCH = 1000


@shared_task(name="orders.expire_day_orders")
def expire_day_orders(symbol: str | None = None) -> list[str]:
    """At the session close: the engine expires every open DAY order. Returns the symbols told."""
    symbols = orders_expire_day(symbol=symbol)
    log.info("expire_day sent", symbols=symbols)
    return symbols


def stale_commands(*, now=None, older_than: timedelta = RESUBMIT_AFTER) -> dict[str, list[tuple[int, str]]]:
    """Orders whose command the engine has evidently not applied, as (order id, symbol) per command kind.

    - "new": orders still `accepted` after `older_than`, and `pending_cancel` orders the engine
      never saw (engine_at null): the engine reads the order and acts on its current state.
    - "cancel": `pending_cancel` orders the engine holds whose cancel has not come back.
    - "replace": orders whose replace has been waiting longer than `older_than`.
    """
    cutoff = (now or timezone.now()) - older_than
    accepted = Q(status=Order.Status.ACCEPTED) & (Q(accepted_at__lt=cutoff) | Q(accepted_at__isnull=True,
                                                                              created_at__lt=cutoff))
    unseen_cancel = Q(status=Order.Status.PENDING_CANCEL, engine_at__isnull=True, updated_at__lt=cutoff)
    rows = (Order.objects.filter(accepted | unseen_cancel).order_by("pk")
            .values_list("pk", "instrument__symbol")[:RESUBMIT_BATCH])
    seen_cancel = Order.objects.filter(status=Order.Status.PENDING_CANCEL, engine_at__isnull=False, updated_at__lt=cutoff)
    waiting_replace = Order.objects.filter(status__in=Order.OPEN_STATUSES, replace_qty__isnull=False, updated_at__lt=cutoff)
    return {
        "new": list(rows),
        "cancel": list(seen_cancel.order_by("pk").values_list("pk", "instrument__symbol")[:RESUBMIT_BATCH]),
        "replace": list(waiting_replace.order_by("pk").values_list("pk", "instrument__symbol")[:RESUBMIT_BATCH]),
    }


@shared_task(name="orders.resubmit_accepted")
def resubmit_accepted() -> dict[str, list[int]]:
    """The safety net of the bus: re-publish the command of every order the engine has not
    picked up (Redis was down at commit, or the engine lost it). Commands are idempotent by
    order id, so a command that did arrive and is merely slow is harmless to send again."""
    sent: dict[str, list[int]] = {}
    for kind, orders in stale_commands().items():
        bus_publish(*[BusCommand(CommandKind(kind), symbol, order_id) for order_id, symbol in orders])
        sent[kind] = [order_id for order_id, _ in orders]
    if any(sent.values()):
        log.warning("resubmitted engine commands", resubmitted=sent)
    return sent


@shared_task(name="orders.audit_nightly")
def audit_nightly() -> list[str]:
    """The full audit, strict: orders stuck in `accepted` count too. Violations log at ERROR."""
    violations = audit_run(strict=True)
    for violation in violations:
        log.error("audit violation", violation=violation)
    if not violations:
        log.info("audit ok")
    return violations


@shared_task(name="orders.prune_private_events")
def prune_private_events() -> int:
    """Retention of the private stream: delete messages older than PRIVATE_EVENTS_RETENTION_DAYS."""
    deleted = private_events_prune()
    log.info("private events pruned", deleted=deleted)
    return deleted
