"""Celery tasks of the analytics app: the audit as an ops alert."""

from celery import shared_task

from analytics.services.ops import ops_alert_raise
from common.logging import get_logger
from orders.audit import audit_run

log = get_logger("analytics.tasks")

MAX_LISTED = 50


@shared_task(name="analytics.audit_ops_alert")
def audit_ops_alert() -> list[str]:
    """Run the audit (not strict: a stopped engine is the engine-lag alert's); any violation becomes
    one ops alert `audit` listing them (at most one per cooldown until acknowledged)."""
    violations = audit_run(strict=False)
    if violations:
        listed = "\n".join(violations[:MAX_LISTED])
        more = f"\n... and {len(violations) - MAX_LISTED} more" if len(violations) > MAX_LISTED else ""
        ops_alert_raise(kind="audit", detail=f"{len(violations)} audit violation(s):\n{listed}{more}")
    return violations
