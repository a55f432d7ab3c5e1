"""The account kill switch: account_trip freezes, cancels through the cancel path, records; ops
unfreeze (recorded too)."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User

from common.errors import ServiceError
from orders.models import Order, RiskEvent
from orders.services import order_place
from orders.services.trip import account_trip, account_unfreeze
from tests.factories import make_instrument, make_trader
from tests.orders.support import BusTail, place

pytestmark = pytest.mark.django_db


def test_a_trip_freezes_cancels_records_and_notifies_once(django_capture_on_commit_callbacks):
    make_instrument("AAPL")
    trader = make_trader("trader", cash="10000.00")
    orders = [place(trader, side="buy", qty="1", price=price) for price in ("99.00", "98.00")]
    tail = BusTail("AAPL")
    heard = []
    with django_capture_on_commit_callbacks(execute=True):
        trip = account_trip(account_id=trader.pk, code="daily_loss_limit", detail="daily loss limit 100.00 reached",
                            notify=heard.append)
    assert trip.canceled == [o.pk for o in orders] and heard == [trip]
    assert [o.status for o in Order.objects.filter(pk__in=trip.canceled).order_by("pk")] == ["pending_cancel"] * 2
    assert [(c["kind"], c["order_id"]) for c in tail.commands()] == [("cancel", o.pk) for o in orders]
    trader.refresh_from_db()
    assert (trader.frozen, trader.frozen_reason) == (True, "daily loss limit 100.00 reached")
    event = RiskEvent.objects.get()
    assert (event.kind, event.code, event.canceled_orders, event.user) == ("trip", "daily_loss_limit", 2, None)

    assert account_trip(account_id=trader.pk, code="daily_loss_limit", detail="again", notify=heard.append) is None
    assert len(heard) == 1 and RiskEvent.objects.count() == 1

    with pytest.raises(ServiceError) as refused:
        order_place(account=trader, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D("99.00"))
    assert (refused.value.code, refused.value.detail) == (
        "account_frozen", "The account is frozen: daily loss limit 100.00 reached")

    ops = User.objects.create_user("ops")
    account_unfreeze(account=trader, user=ops)
    assert (trader.frozen, trader.frozen_reason) == (False, "")
    event = RiskEvent.objects.first()
    assert (event.kind, event.user, event.detail) == ("unfreeze", ops, "unfrozen (was: daily loss limit 100.00 reached)")
    assert place(trader, side="buy", qty="1", price="99.00").status == "accepted"


def test_a_failing_notification_does_not_undo_the_trip():
    trader = make_trader("trader", cash="10.00")

    def broken(trip):
        raise RuntimeError("no Redis")

    assert account_trip(account_id=trader.pk, code="daily_loss_limit", detail="x", notify=broken) is not None
    trader.refresh_from_db()
    assert trader.frozen
