from celery import shared_task

from tradeapp.health import health_report


@shared_task(name="tradeapp.health_report")
def health_report_task() -> dict:
    """Readiness as seen from a Celery worker: proves the worker reaches the database and Redis."""
    return health_report()
