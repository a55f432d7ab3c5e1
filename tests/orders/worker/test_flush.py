"""The worker's batch writer: positions are checked (not locked) until the batch is written."""

from decimal import Decimal as D

import pytest
from django.db import transaction

from orders.models import Position
from orders.services import position_grant
from orders.worker.settlement import Batch, PositionChanged, flush
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


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
