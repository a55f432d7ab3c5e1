"""The private stream: each account's event counter and its stored messages (orders/private/), and the
hourly beat schedule of their retention (orders.prune_private_events)."""

import json

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

PRUNE = "orders: prune private stream messages past their retention"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(name=PRUNE, defaults={
        "task": "orders.prune_private_events", "interval": hourly, "args": json.dumps([]), "kwargs": json.dumps({}),
        "enabled": True, "description": "Deletes private stream messages older than PRIVATE_EVENTS_RETENTION_DAYS "
                                        "(a resume from before them gets resume_too_old)."})
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=PRUNE).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0006_engine_shards'),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='event_seq',
            field=models.BigIntegerField(default=0),
        ),
        migrations.CreateModel(
            name='PrivateEvent',
            fields=[
                ('pk', models.CompositePrimaryKey('account_id', 'seq', blank=True, editable=False, primary_key=True, serialize=False)),
                ('seq', models.BigIntegerField()),
                ('type', models.CharField(max_length=16)),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField()),
                ('account', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='orders.account')),
            ],
            options={
                'indexes': [models.Index(fields=['created_at'], name='private_event_created')],
            },
        ),
        migrations.RunPython(create_schedule, delete_schedule),
    ]
