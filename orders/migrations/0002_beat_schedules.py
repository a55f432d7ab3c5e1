"""The venue's Celery beat schedules (django-celery-beat's DatabaseScheduler reads them;
ops edit them in the admin under Periodic tasks).

- orders.expire_day_orders at the session close (settings.SESSION_CLOSE_UTC, UTC), Monday to Friday
- orders.resubmit_accepted every 10 seconds
- orders.audit_nightly at 02:00 UTC

Idempotent: rows are found by task name, and a schedule ops changed is left as it is.
The session close is read from the settings when the migration runs.
"""

import json

from django.conf import settings
from django.db import migrations
from django.utils import timezone

EXPIRE_DAY = "orders: expire DAY orders at the session close"
RESUBMIT = "orders: resubmit commands the engine has not picked up"
AUDIT = "orders: nightly audit of the invariants"
NAMES = (EXPIRE_DAY, RESUBMIT, AUDIT)


def session_close() -> tuple[str, str]:
    hour, _, minute = settings.SESSION_CLOSE_UTC.partition(":")
    hour, minute = int(hour), int(minute or 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"SESSION_CLOSE_UTC must be HH:MM, got {settings.SESSION_CLOSE_UTC!r}")
    return str(hour), str(minute)


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    def crontab(*, minute: str, hour: str, day_of_week: str):
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week=day_of_week, day_of_month="*", month_of_year="*", timezone="UTC")
        return schedule

    close_hour, close_minute = session_close()
    every_10s, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    tasks = [
        (EXPIRE_DAY, "orders.expire_day_orders",
         {"crontab": crontab(minute=close_minute, hour=close_hour, day_of_week="1-5")},
         "Tells the engine to expire every open DAY order (API.md: DAY orders expire at the session close)."),
        (RESUBMIT, "orders.resubmit_accepted", {"interval": every_10s, "expire_seconds": 10},
         "Re-publishes 'new' for orders still accepted after 5 s (commands are idempotent by order id)."),
        (AUDIT, "orders.audit_nightly", {"crontab": crontab(minute="0", hour="2", day_of_week="*")},
         "Runs `manage.py audit --strict`; violations are logged at ERROR."),
    ]
    for name, task, schedule, description in tasks:
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "args": json.dumps([]), "kwargs": json.dumps({}), "enabled": True,
                      "description": description, **schedule},
        )
    # Tell a running beat to reload its schedule (what PeriodicTasks.changed does outside migrations).
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_schedules, delete_schedules),
    ]
