"""The ops services (halt, resume, expire), the Celery tasks and their beat schedules."""

import importlib
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from common.errors import ServiceError
from marketdata.models import Instrument
from orders.models import Account, Order
from orders.services.ops import instrument_halt, instrument_resume, orders_expire_day
from orders.tasks import audit_nightly, expire_day_orders, resubmit_accepted
from tests.orders.support import place

pytestmark = pytest.mark.django_db


# --- ops services ------------------------------------------------------------------------
def test_halt_refuses_orders_at_once_and_tells_the_engine_on_commit(seeded, bus_tail, django_capture_on_commit_callbacks):
    tail = bus_tail("AAPL")
    with django_capture_on_commit_callbacks(execute=True):
        instrument = instrument_halt(instrument=seeded["aapl"])
    assert instrument.status == "halted"
    assert Instrument.objects.get(symbol="AAPL").status == "halted"
    assert tail.commands() == [{"kind": "halt", "symbol": "AAPL"}]
    with pytest.raises(ServiceError) as refused:
        place(seeded["alice"], side="buy", qty="1", price="190.00")
    assert refused.value.code == "instrument_halted"

    tail = bus_tail("AAPL")
    with django_capture_on_commit_callbacks(execute=True):
        instrument_resume(instrument=instrument)
    assert Instrument.objects.get(symbol="AAPL").status == "trading"
    assert tail.commands() == [{"kind": "resume", "symbol": "AAPL"}]
    assert place(seeded["alice"], side="buy", qty="1", price="190.00").status == "accepted"


def test_halt_sends_nothing_when_the_transaction_rolls_back(seeded, bus_tail, django_capture_on_commit_callbacks):
    tail = bus_tail("AAPL")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        instrument_halt(instrument=seeded["aapl"])
    assert len(callbacks) == 1  # held until commit
    assert tail.commands() == []


def test_expire_day_tells_the_engine_for_every_symbol_or_one(seeded, bus_tail):
    tail = bus_tail("AAPL")  # one shard in tests: every symbol's stream is this one
    assert expire_day_orders() == ["AAL", "AAPL", "GOOGL", "MSFT", "SPY", "TSLA"]
    assert [c["symbol"] for c in tail.commands()] == ["AAL", "AAPL", "GOOGL", "MSFT", "SPY", "TSLA"]
    assert {c["kind"] for c in tail.commands()} == {"expire_day"}
    tail = bus_tail("MSFT")
    assert orders_expire_day(symbol="MSFT") == ["MSFT"]
    assert tail.commands() == [{"kind": "expire_day", "symbol": "MSFT"}]
    with pytest.raises(ServiceError):
        orders_expire_day(symbol="NOPE")


# --- resubmit ---------------------------------------------------------------------------------
def test_resubmit_publishes_exactly_the_stale_orders(seeded, bus_tail):
    alice, bob = seeded["alice"], seeded["bob"]
    old = timezone.now() - timedelta(seconds=30)
    stale = place(alice, side="buy", qty="1", price="190.00")
    stale_msft = place(bob, side="sell", qty="2", price="420.00", symbol="MSFT")
    fresh = place(alice, side="buy", qty="1", price="189.00")
    resting = place(alice, side="buy", qty="1", price="188.00")
    unseen_cancel = place(bob, side="sell", qty="1", price="191.00")
    seen_cancel = place(bob, side="sell", qty="1", price="192.00")
    done = place(bob, side="sell", qty="1", price="193.00")
    Order.objects.filter(pk__in=[stale.pk, stale_msft.pk, resting.pk, done.pk]).update(accepted_at=old, updated_at=old)
    Order.objects.filter(pk=resting.pk).update(status="new", engine_at=old)
    Order.objects.filter(pk=unseen_cancel.pk).update(status="pending_cancel", accepted_at=old, updated_at=old)
    Order.objects.filter(pk=seen_cancel.pk).update(status="pending_cancel", accepted_at=old, updated_at=old,
                                                   engine_at=old)
    Order.objects.filter(pk=done.pk).update(status="canceled")

    replacing = place(alice, side="buy", qty="1", price="187.00")
    Order.objects.filter(pk=replacing.pk).update(status="new", engine_at=old, updated_at=old, replace_qty=2,
                                                 replace_limit_price="187.00")

    tail = bus_tail("AAPL")
    sent = resubmit_accepted()
    assert sent == {"new": [stale.pk, stale_msft.pk, unseen_cancel.pk], "cancel": [seen_cancel.pk],
                    "replace": [replacing.pk]}
    assert tail.commands() == [
        {"kind": "new", "order_id": stale.pk, "symbol": "AAPL"},
        {"kind": "new", "order_id": stale_msft.pk, "symbol": "MSFT"},
        {"kind": "new", "order_id": unseen_cancel.pk, "symbol": "AAPL"},
        {"kind": "cancel", "order_id": seen_cancel.pk, "symbol": "AAPL"},
        {"kind": "replace", "order_id": replacing.pk, "symbol": "AAPL"},
    ]
    assert fresh.pk not in sent["new"]


def test_resubmit_with_nothing_stale_sends_nothing(seeded, bus_tail):
    place(seeded["alice"], side="buy", qty="1", price="190.00")
    tail = bus_tail("AAPL")
    assert resubmit_accepted() == {"new": [], "cancel": [], "replace": []}
    assert tail.commands() == []


# --- nightly audit ------------------------------------------------------------------------------
def test_audit_nightly_returns_nothing_on_a_sound_venue(seeded):
    assert audit_nightly() == []


def test_audit_nightly_logs_violations_at_error(seeded, caplog):
    alice = seeded["alice"]
    Account.objects.filter(pk=alice.pk).update(cash=F("cash") + Decimal("1.00"))
    with caplog.at_level(logging.ERROR, logger="orders.tasks"):
        violations = audit_nightly()
    assert f"account {alice.pk} (alice): cash 1000001.00 != ledger sum 1000000.00" in violations
    logged = [(r.msg["event"], r.msg["violation"]) for r in caplog.records
              if r.levelno == logging.ERROR and r.name == "orders.tasks"]
    assert logged == [("audit violation", v) for v in violations]


def test_audit_nightly_is_strict_about_stuck_orders(seeded):
    order = place(seeded["alice"], side="buy", qty="1", price="190.00")
    Order.objects.filter(pk=order.pk).update(accepted_at=timezone.now() - timedelta(hours=1))
    [violation] = audit_nightly()
    assert violation.startswith(f"order #{order.pk} (alice AAPL): accepted at")


# --- beat schedules --------------------------------------------------------------------------------
def test_the_beat_schedules_migration_creates_the_three_tasks_idempotently(db, settings):
    """Runs the data migration against the historical models, twice (rows may already be
    there from migrate, or flushed by an earlier transactional test)."""
    migration = importlib.import_module("orders.migrations.0002_beat_schedules")
    apps = MigrationExecutor(connection).loader.project_state(("orders", "0002_beat_schedules")).apps
    migration.create_schedules(apps, None)
    migration.create_schedules(apps, None)

    tasks = {t.task: t for t in PeriodicTask.objects.filter(name__in=migration.NAMES).select_related(
        "crontab", "interval")}
    assert PeriodicTask.objects.filter(name__in=migration.NAMES).count() == 3
    assert set(tasks) == {"orders.expire_day_orders", "orders.resubmit_accepted", "orders.audit_nightly"}
    assert all(t.enabled for t in tasks.values())

    expire = tasks["orders.expire_day_orders"].crontab
    hour, minute = settings.SESSION_CLOSE_UTC.split(":")
    assert (expire.minute, expire.hour, expire.day_of_week, expire.day_of_month, expire.month_of_year,
            str(expire.timezone)) == (str(int(minute)), str(int(hour)), "1-5", "*", "*", "UTC")
    resubmit = tasks["orders.resubmit_accepted"]
    assert (resubmit.crontab, resubmit.interval.every, resubmit.interval.period) == (None, 10, "seconds")
    audit = tasks["orders.audit_nightly"].crontab
    assert (audit.minute, audit.hour, audit.day_of_week, str(audit.timezone)) == ("0", "2", "*", "UTC")

    migration.delete_schedules(apps, None)
    assert not PeriodicTask.objects.filter(name__in=migration.NAMES).exists()


def test_the_scheduled_task_names_are_registered_with_celery():
    from tradeapp.celery import app

    app.loader.import_default_modules()
    assert {"orders.expire_day_orders", "orders.resubmit_accepted", "orders.audit_nightly"} <= set(app.tasks)
