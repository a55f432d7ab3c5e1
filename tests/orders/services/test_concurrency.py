"""50 parallel orders from one account cannot spend more than its cash: the reservation is
one conditional UPDATE, so the database decides, not a read-then-write in Python."""

from decimal import Decimal as D

import pytest

from common.errors import ServiceError
from orders.models import Order
from orders.services import order_place
from tests.concurrency import run_together
from tests.factories import make_instrument, make_trader


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_buys_reserve_no_more_than_the_cash():
    make_instrument("AAPL")
    # Each order: 10 x 100.00 = 1000.00 + fees at 0.0003 = 0.30 -> 1000.30; the cash covers 10.
    account = make_trader("racer", cash="10003.00")

    def send(i: int) -> list[str]:
        try:
            order_place(account=account, symbol="AAPL", side="buy", type="limit", qty=D("10"),
                        limit_price=D("100.00"), client_order_id=f"race-{i}")
            return ["accepted"]
        except ServiceError as refusal:
            return [refusal.code]

    outcomes = run_together(50, send)
    account.refresh_from_db()
    assert sorted(set(outcomes)) == ["accepted", "insufficient_buying_power"]
    assert outcomes.count("accepted") == 10
    assert outcomes.count("insufficient_buying_power") == 40
    assert account.reserved_cash == D("10003.00")
    assert account.cash == D("10003.00")
    assert Order.objects.filter(status="accepted").count() == 10
    assert Order.objects.filter(status="rejected", reject_reason="insufficient_buying_power").count() == 40
