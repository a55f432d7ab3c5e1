"""Reads of stored reports. Statements are read through the caller's account only."""

from django.db.models import QuerySet

from orders.models import Account
from reports.models import Statement, VenueDay


def statement_list(*, account: Account) -> QuerySet[Statement]:
    """My statements, newest day first (without the documents)."""
    return Statement.objects.filter(account=account).defer("csv", "pdf").order_by("-day", "-id")


def statement_get(*, account: Account, statement_id: int) -> Statement | None:
    return Statement.objects.filter(account=account, pk=statement_id).first()


def venue_days(*, days: list) -> dict:
    """{day: figures} of the stored venue days among `days`."""
    return {v.day: v.figures for v in VenueDay.objects.filter(day__in=days)}
