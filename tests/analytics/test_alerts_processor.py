"""The alerts stage on hand-made batches: each one-shot alert fires once, at the trade that met it,
to its owner's channel only; a fill alert fires once per fill of its account; alerts see only
batches after their creation; what fired is stored and emailed when asked."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import mail
from django.utils import timezone

from analytics.models import Alert, AlertTrigger
from analytics.pipeline import Output
from analytics.processors import AlertsProcessor, FiguresProcessor
from analytics.services import alert_create
from common.times import utc_iso
from realtime.channels import account_channel
from realtime.messages import AlertTriggered, EngineBatch, decode
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


class Pipe:
    def __init__(self):
        self.published = []

    def publish(self, channel, text):
        self.published.append((channel, decode(text)))

    def set(self, *args):
        pass


def apply(out: Output) -> list:
    for fn in out.db:
        fn()
    pipe = Pipe()
    for fn in out.redis:
        fn(pipe)
    for fn in out.after:
        fn()
    return [(channel, m) for channel, m in pipe.published if isinstance(m, AlertTriggered)]


trade_ids = iter(range(1, 10_000))


def batch(ts, *trades, fills=()) -> EngineBatch:
    prints = [{"trade_id": next(trade_ids), "price": p, "qty": q, "aggressor_side": "buy", "ts": utc_iso(ts)}
              for p, q in trades]
    return EngineBatch(ts=utc_iso(ts), symbols={"AAPL": {"trades": prints, "quote": {}}} if prints else {},
                       fills=list(fills))


def run(stages, *batches) -> list:
    out = Output()
    for b in batches:
        for stage in stages:
            stage.on_batch("0-1", b, out)
    for stage in stages:
        stage.flush(out)
    return apply(out)


@pytest.fixture
def setup():
    make_instrument("AAPL")
    alice, bob = make_trader("alice"), make_trader("bob")
    alice.user.email = "alice@example.com"
    alice.user.save()
    figures = FiguresProcessor()
    alerts = AlertsProcessor(figures=figures)
    return alice, bob, [figures, alerts]


def restore(stages) -> None:
    for stage in stages:
        stage.restore()


def test_price_alerts_fire_once_to_their_owner(setup):
    alice, bob, stages = setup
    above = alert_create(account=alice, kind="price_above", symbol="AAPL", threshold=D("101"), email=True)
    below = alert_create(account=bob, kind="price_below", symbol="AAPL", threshold=D("99"))
    restore(stages)
    now = timezone.now() + timedelta(seconds=1)
    pushed = run(stages, batch(now, ("100.50", "1"), ("101.00", "2"), ("101.50", "1")))
    assert [(c, m.alert["alert_id"], m.alert["price"]) for c, m in pushed] == [(account_channel(alice.pk), above.pk, "101.00")]
    assert run(stages, batch(now, ("102", "1"))) == []  # once only
    pushed = run(stages, batch(now, ("98.99", "1")))
    assert [(c, m.alert["alert_id"]) for c, m in pushed] == [(account_channel(bob.pk), below.pk)]
    assert AlertTrigger.objects.filter(alert=above).count() == 1
    assert Alert.objects.get(pk=above.pk).status == "triggered"
    assert [m.to for m in mail.outbox] == [["alice@example.com"]] and "AAPL traded at 101.00" in mail.outbox[0].body
    restore(stages)  # a restart: triggered alerts stay quiet
    assert run(stages, batch(now, ("103", "1"), ("90", "1"))) == []


def test_fill_alerts_fire_per_fill_of_their_account_and_only_after_creation(setup):
    alice, bob, stages = setup
    before = timezone.now() - timedelta(seconds=5)
    alert = alert_create(account=alice, kind="fill")
    restore(stages)
    now = timezone.now() + timedelta(seconds=1)

    def fill(account, trade_id):
        return {"account_id": account.pk, "order_id": 5, "symbol": "AAPL", "side": "buy", "trade_id": trade_id,
                "price": "100.00", "qty": "3", "liquidity": "taker", "fee": "0.09"}

    assert run(stages, batch(before, fills=[fill(alice, 1)])) == []  # before the alert existed
    pushed = run(stages, batch(now, fills=[fill(alice, 2), fill(bob, 3), fill(alice, 4)]))
    assert [(c, m.alert["trade_id"]) for c, m in pushed] == [(account_channel(alice.pk), 2), (account_channel(alice.pk), 4)]
    assert "Buy 3 AAPL at 100.00" in pushed[0][1].alert["message"]
    assert Alert.objects.get(pk=alert.pk).status == "active"
    assert AlertTrigger.objects.filter(alert=alert).count() == 2


def test_percent_move_and_volume_spike(setup):
    alice, _, stages = setup
    move = alert_create(account=alice, kind="percent_move", symbol="AAPL", threshold=D("2"), window_minutes=3)
    spike = alert_create(account=alice, kind="volume_spike", symbol="AAPL", threshold=D("4"), window_minutes=5)
    restore(stages)
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    for minute in range(6):  # 10 a minute at 100
        assert run(stages, batch(start + timedelta(minutes=minute), ("100.00", "10"))) == []
    at = start + timedelta(minutes=6)
    assert run(stages, batch(at, ("101.90", "10"))) == []  # +1.9% in 3 minutes; volume 10+10 < 4 x 10
    pushed = run(stages, batch(at, ("102.00", "30")))  # +2%; this minute 40 >= 4 x 10
    assert sorted(m.alert["alert_id"] for _, m in pushed) == sorted([move.pk, spike.pk])
    assert {m.alert["alert_id"]: m.alert["message"] for _, m in pushed}[move.pk].startswith("AAPL moved +2.00% in 3 min")
