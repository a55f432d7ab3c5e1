"""The worker's batch writer: one statement per table for all rows, and positions checked
(not locked) until the batch is written."""

from decimal import Decimal as D

import pytest
from django.db import transaction
from django.db.models import F

from orders.models import Account, Position
from orders.services import position_grant
from orders.worker.settlement import Batch, PositionChanged, flush, update_rows
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


def test_update_rows_adds_deltas_and_sets_values_like_the_orm():
    aapl = make_instrument("AAPL")
    traders = [make_trader(f"t{i}", cash="100.00", positions={aapl: "10"}) for i in range(3)]
    positions = list(Position.objects.filter(account__in=traders).order_by("id"))
    with transaction.atomic():
        update_rows(Account, [(t.pk, {"cash": F("cash") + D("1.25"), "reserved_cash": F("reserved_cash") + D("0.50")})
                              for t in traders])
        update_rows(Position, [(p.pk, {"qty": F("qty") + D("-2"), "avg_price": D("91.5")}) for p in positions])
    assert sorted(Account.objects.filter(pk__in=[t.pk for t in traders]).values_list("cash", "reserved_cash")) == \
        [(D("101.25"), D("0.50"))] * 3
    assert sorted(Position.objects.filter(pk__in=[p.pk for p in positions]).values_list("qty", "avg_price")) == \
        [(D("8"), D("91.5"))] * 3


def test_a_position_granted_during_the_batch_fails_it():
    aapl = make_instrument("AAPL")
    trader = make_trader("seller", cash="0", positions={aapl: "10"})
    batch = Batch(orders={}, instruments={"AAPL": aapl})
    batch.load_positions({(trader.pk, aapl.pk)})
    batch.move_position(trader.pk, aapl, qty=D("-1"))
    position_grant(account=trader, instrument=aapl, qty=D("5"), avg_price=D("90.00"))  # ops, meanwhile
    with pytest.raises(PositionChanged), transaction.atomic():
        flush(batch)
    assert Position.objects.get(account=trader).qty == D("15")
