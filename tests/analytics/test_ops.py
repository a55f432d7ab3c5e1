"""Ops alerts: raised once per kind and subject per cooldown, counted in the metrics, listed and
acknowledged in the admin; engine lag over the bound and a stale feed from the pipeline; audit
violations from the beat task."""

import asyncio
import json
import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F

from analytics.consumer import db_call
from analytics.models import OpsAlert
from analytics.pipeline import Context, Output
from analytics.processors import OpsMonitor
from analytics.services import ops_alert_raise
from analytics.tasks import audit_ops_alert
from common import metrics
from common.errors import ServiceError
from common.redis import get_redis, new_async_redis
from common.times import utc_iso
from marketdata.feeds.reference import reference_key
from orders.models import Account
from realtime.messages import EngineBatch
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


def counted(kind: str) -> float:
    return metrics.OPS_ALERTS.labels(kind=kind)._value.get()


def test_raised_once_per_cooldown_and_counted():
    before = counted("risk_breach")
    first = ops_alert_raise(kind="risk_breach", subject="42", detail="daily loss 5,000.00 over 1,000.00")
    assert first is not None and ops_alert_raise(kind="risk_breach", subject="42", detail="again") is None
    assert ops_alert_raise(kind="risk_breach", subject="43", detail="another account") is not None
    assert counted("risk_breach") == before + 2
    OpsAlert.objects.filter(pk=first.pk).update(acknowledged=True)
    assert ops_alert_raise(kind="risk_breach", subject="42", detail="after the ack") is not None
    with pytest.raises(ServiceError):
        ops_alert_raise(kind="weather", detail="?")


def test_listed_and_acknowledged_in_the_admin(client):
    ops_alert_raise(kind="feed_stale", subject="AAPL", detail="No reference price for AAPL in 90 s")
    admin = get_user_model().objects.create_superuser("ops", password="ops-pass")
    client.force_login(admin)
    page = client.get("/admin/analytics/opsalert/")
    assert page.status_code == 200 and b"No reference price for AAPL" in page.content
    alert = OpsAlert.objects.get()
    client.post("/admin/analytics/opsalert/", {"action": "acknowledge", "_selected_action": [alert.pk]})
    assert OpsAlert.objects.get().acknowledged


def run_monitor(monitor: OpsMonitor, *batches, tick: bool = False) -> None:
    out = Output()
    for batch in batches:
        monitor.on_batch("0-1", batch, out)
    monitor.flush(out)

    async def ticked():
        redis = new_async_redis()

        await monitor.tick(Context(redis=redis, db=db_call), out)
        await redis.aclose()

    if tick:
        asyncio.run(ticked())
    for fn in out.db:
        fn()


def test_engine_lag_over_the_bound():
    monitor = OpsMonitor(lag_ms=500, stale_seconds=0)
    monitor.restore()
    run_monitor(monitor, EngineBatch(ts=utc_iso(), symbols={}, lag_ms=120.0))
    assert not OpsAlert.objects.exists()
    run_monitor(monitor, EngineBatch(ts=utc_iso(), symbols={}, lag_ms=900.0),
                EngineBatch(ts=utc_iso(), symbols={}, lag_ms=1500.0))
    assert list(OpsAlert.objects.values_list("kind", "detail")) == [
        ("engine_lag", "Engine lag 1500 ms, over the 500 ms bound.")]


@pytest.mark.django_db(transaction=True)  # the monitor reads the instruments in its database thread
def test_a_stale_feed():
    make_instrument("AAPL")
    make_instrument("MSFT")
    make_instrument("IBM")
    redis = get_redis()
    redis.set(reference_key("AAPL"), json.dumps({"symbol": "AAPL", "price": "100", "ts": utc_iso(), "source": "sim"}))
    old = utc_iso().replace(utc_iso()[:4], str(int(utc_iso()[:4]) - 1), 1)
    redis.set(reference_key("MSFT"), json.dumps({"symbol": "MSFT", "price": "400", "ts": old, "source": "sim"}))
    redis.delete(reference_key("IBM"))  # never priced: not stale
    try:
        monitor = OpsMonitor(lag_ms=0, stale_seconds=30)
        monitor.restore()
        run_monitor(monitor, tick=True)
        assert list(OpsAlert.objects.values_list("kind", "subject")) == [("feed_stale", "MSFT")]
        monitor.next_check = time.monotonic() + 60
        run_monitor(monitor, tick=True)  # checked every few seconds, not every tick
        assert OpsAlert.objects.count() == 1
    finally:
        redis.delete(reference_key("AAPL"), reference_key("MSFT"))


def test_audit_violations_become_one_ops_alert():
    aapl = make_instrument("AAPL")
    make_trader("alice", cash="1000.00", positions={aapl: "10"})
    assert audit_ops_alert() == [] and not OpsAlert.objects.exists()
    Account.objects.filter(user__username="alice").update(cash=F("cash") + Decimal("0.01"))
    violations = audit_ops_alert()
    assert violations
    alert = OpsAlert.objects.get()
    assert alert.kind == "audit" and alert.detail.startswith(f"{len(violations)} audit violation(s):")
    assert violations[0] in alert.detail
