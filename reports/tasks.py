"""Scheduled report work (schedules: reports/migrations/0002_beat_schedules.py, editable in the
admin under Periodic tasks)."""

from datetime import date, timedelta

from celery import shared_task

from common.logging import get_logger
from orders.risk_selectors import trading_day
from reports.services import statements_build_day, venue_day_build

log = get_logger(__name__)


def _day(day: str | None) -> date:
    """The day given (YYYY-MM-DD), else yesterday (UTC): the last day that is over."""
    return date.fromisoformat(day) if day else trading_day() - timedelta(days=1)


@shared_task(name="reports.build_statements")
def build_statements(day: str | None = None) -> int:
    """Every account's statement of the day; returns how many were built."""
    done = statements_build_day(day=_day(day))
    log.info("statements built", day=str(_day(day)), accounts=len(done))
    return len(done)


@shared_task(name="reports.build_venue_day")
def build_venue_day(day: str | None = None) -> str:
    venue_day = venue_day_build(day=_day(day))
    log.info("venue day built", day=str(venue_day.day))
    return str(venue_day.day)
