"""Reads of the analytics: latest figures (Redis), minute history, my alerts and their firings."""

import json

from django.db.models import QuerySet

from analytics.models import Alert, AlertTrigger, AnalyticsMinute
from common.redis import get_redis
from marketdata.models import Instrument
from orders.models import Account
from realtime.channels import analytics_key


def analytics_latest(*, symbol: str) -> dict | None:
    raw = get_redis().get(analytics_key(symbol))
    return json.loads(raw) if raw else None


def analytics_history(*, instrument: Instrument, limit: int) -> list[AnalyticsMinute]:
    """The last `limit` minutes with a row, oldest first."""
    rows = AnalyticsMinute.objects.filter(instrument=instrument).order_by("-minute")[:limit]
    return list(reversed(rows))


def alert_list(*, account: Account, status: str | None = None) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(account=account).select_related("instrument").order_by("-id")
    return alerts.filter(status=status) if status else alerts


def alert_trigger_list(*, account: Account, alert_id: int | None = None) -> QuerySet[AlertTrigger]:
    triggers = AlertTrigger.objects.filter(account=account).select_related("alert__instrument").order_by("-id")
    return triggers.filter(alert_id=alert_id) if alert_id is not None else triggers
