"""Retention of the private stream."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from orders.models import PrivateEvent


def private_events_prune(*, older_than: timedelta | None = None) -> int:
    """Delete private messages older than `older_than` (default PRIVATE_EVENTS_RETENTION_DAYS); the number
    deleted. A resume from before the oldest kept message of an account gets `resume_too_old`."""
    if older_than is None:
        older_than = timedelta(days=settings.PRIVATE_EVENTS_RETENTION_DAYS)
    deleted, _ = PrivateEvent.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
