"""The roof's tasks, and the Celery outcomes counted for /metrics (connected here, where the worker
imports them after the settings: see common.metrics)."""

from celery import shared_task, signals

from common import metrics
from tradeapp.health import health_report


@shared_task(name="tradeapp.health_report")
def health_report_task() -> dict:
    """Readiness as seen from a Celery worker: proves the worker reaches the database and Redis."""
    return health_report()


@signals.task_success.connect
def _task_succeeded(sender=None, **kwargs):
    metrics.CELERY_TASKS.labels(sender.name, "success").inc()


@signals.task_failure.connect
def _task_failed(sender=None, **kwargs):
    metrics.CELERY_TASKS.labels(sender.name, "failure").inc()


@signals.task_retry.connect
def _task_retried(sender=None, **kwargs):
    metrics.CELERY_TASKS.labels(sender.name, "retry").inc()
