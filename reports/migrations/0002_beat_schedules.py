"""The reports' Celery beat schedules (django-celery-beat's DatabaseScheduler reads them; ops edit
them in the admin under Periodic tasks):

- reports.build_statements at 00:10 UTC every day: each account's statement of the day before
- reports.build_venue_day at 00:20 UTC every day: the venue's figures of the day before

Idempotent: rows are found by name, and a schedule ops changed is left as it is.
"""

import json

from django.db import migrations
from django.utils import timezone

STATEMENTS = "reports: daily statements of every account"
VENUE_DAY = "reports: the venue's daily figures"
NAMES = (STATEMENTS, VENUE_DAY)


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    def daily(minute: str):
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC")
        return schedule

    tasks = [
        (STATEMENTS, "reports.build_statements", daily("10"),
         "Builds the statement (CSV and PDF) of the day before for every account with activity or holdings."),
        (VENUE_DAY, "reports.build_venue_day", daily("20"),
         "Stores the venue's figures of the day before (the 30-day chart page reads them)."),
    ]
    for name, task, crontab, description in tasks:
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "args": json.dumps([]), "kwargs": json.dumps({}), "enabled": True,
                      "description": description, "crontab": crontab},
        )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_schedules, delete_schedules),
    ]
