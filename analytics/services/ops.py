"""Ops alerts: what ops must look at, raised by the analytics process (engine lag, a stale feed),
the audit task, and the risk monitor. Listed in the admin (Analytics and alerts > Ops alerts) and
counted in `venue_ops_alerts_total{kind}` (common.metrics)."""

from datetime import timedelta

from django.utils import timezone

from analytics.models import OpsAlert
from common import metrics
from common.errors import invalid
from common.logging import get_logger

log = get_logger("analytics.ops")

COOLDOWN_SECONDS = 300


def ops_alert_raise(*, kind: str, detail: str, subject: str = "", cooldown_seconds: int = COOLDOWN_SECONDS) -> OpsAlert | None:
    """Record an ops alert; None (nothing recorded) when the same kind and subject was raised in
    the last `cooldown_seconds` and nobody acknowledged it yet. `kind` is one of OpsAlert.Kind
    (engine_lag, feed_stale, audit, risk_breach, other); `subject` names what it is about (a
    symbol, an account id, a shard)."""
    if kind not in OpsAlert.Kind.values:
        raise invalid("kind", f"Unknown ops alert kind {str(kind)[:40]!r}.")
    subject = str(subject)[:64]
    since = timezone.now() - timedelta(seconds=cooldown_seconds)
    if OpsAlert.objects.filter(kind=kind, subject=subject, acknowledged=False, created_at__gte=since).exists():
        return None
    alert = OpsAlert.objects.create(kind=kind, subject=subject, detail=str(detail)[:4000])
    metrics.OPS_ALERTS.labels(kind=kind).inc()
    log.error("ops alert", kind=kind, subject=subject, detail=str(detail)[:200])
    return alert


def ops_alert_acknowledge(*, ids) -> int:
    return OpsAlert.objects.filter(pk__in=list(ids), acknowledged=False).update(acknowledged=True)
