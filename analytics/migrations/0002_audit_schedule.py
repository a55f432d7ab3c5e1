"""The beat schedule of analytics.audit_ops_alert: every hour at minute 17 (ops edit it in the admin
under Periodic tasks). Idempotent: the row is found by name, and one ops changed is left as it is."""

import json

from django.db import migrations
from django.utils import timezone

NAME = "analytics: the audit as an ops alert"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    hourly, _ = CrontabSchedule.objects.get_or_create(minute="17", hour="*", day_of_week="*", day_of_month="*",
                                                      month_of_year="*", timezone="UTC")
    PeriodicTask.objects.get_or_create(name=NAME, defaults={
        "task": "analytics.audit_ops_alert", "args": json.dumps([]), "kwargs": json.dumps({}), "enabled": True,
        "crontab": hourly, "description": "Runs the audit; violations become one ops alert (kind audit)."})
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
