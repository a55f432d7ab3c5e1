"""On PostgreSQL a new order is reserved and stored by one statement: outside any transaction (as the
web runs it) it is the whole of the order's database work, and refusals and duplicates change nothing."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from common.errors import ServiceError
from orders.models import Account, Order, Position
from orders.services import account_set_frozen, order_place
from orders.services.entry_statements import order_reserve_and_insert
from tests.factories import make_instrument, make_trader

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL statement")]


@pytest.fixture
def aapl():
    return make_instrument("AAPL", taker_fee_rate=D("0.0003"))


def place(trader, **changes):
    values = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": D("10"), "limit_price": D("100.00")}
    return order_place(account=trader, **{**values, **changes})


def test_outside_a_transaction_one_statement_reserves_and_stores_the_order(aapl):
    trader = make_trader("buyer", cash="5000.00")
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as queries:
        order, created = place(trader)
    writes = [q["sql"] for q in queries if not q["sql"].startswith("SELECT")]
    assert len(writes) == 1 and writes[0].startswith("WITH reserved AS (UPDATE")
    assert created and order.status == Order.Status.ACCEPTED and order.pk
    stored = Order.objects.get(pk=order.pk)
    assert (stored.qty, stored.limit_price, stored.reserved_cash, stored.accepted_at) == \
        (D("10"), D("100.00"), D("1000.30"), order.accepted_at)  # 1,000.00 + 0.30 taker fee
    assert Account.objects.get(pk=trader.pk).reserved_cash == D("1000.30")


def test_a_buy_it_cannot_cover_is_refused_and_reserves_nothing(aapl):
    trader = make_trader("buyer", cash="999.00")
    with pytest.raises(ServiceError) as refused:
        place(trader)
    assert refused.value.code == "insufficient_buying_power"
    assert refused.value.order.status == Order.Status.REJECTED
    assert Account.objects.get(pk=trader.pk).reserved_cash == D("0.00")
    assert Order.objects.filter(account=trader).values_list("status", flat=True).get() == "rejected"


def test_a_frozen_account_is_refused_as_frozen(aapl):
    trader = make_trader("buyer", cash="5000.00", positions={aapl: "5"})
    account_set_frozen(account=trader, frozen=True)
    for side in ("buy", "sell"):
        with pytest.raises(ServiceError) as refused:
            place(trader, side=side, qty=D("1"))
        assert refused.value.code == "account_frozen"
    assert Account.objects.get(pk=trader.pk).reserved_cash == D("0.00")
    assert Position.objects.get(account=trader).reserved_qty == D("0")


def test_a_sell_reserves_quantity_and_never_more_than_is_held(aapl):
    trader = make_trader("seller", positions={aapl: "15"})
    order, _ = place(trader, side="sell", qty=D("10"))
    assert Order.objects.get(pk=order.pk).status == Order.Status.ACCEPTED
    with pytest.raises(ServiceError) as refused:
        place(trader, side="sell", qty=D("6"))
    assert refused.value.code == "insufficient_position"
    assert Position.objects.get(account=trader).reserved_qty == D("10")


def test_a_duplicate_client_order_id_fails_the_statement_whole(aapl):
    trader = make_trader("buyer", cash="5000.00")
    first, _ = place(trader, client_order_id="dup")
    twin = Order(account=trader, instrument=aapl, client_order_id="dup", side="buy", type="limit", qty=D("1"),
                 limit_price=D("100.00"), status=Order.Status.ACCEPTED, reserved_cash=D("100.03"))
    with pytest.raises(IntegrityError):
        order_reserve_and_insert(twin)  # as when a concurrent request inserted it between the check and here
    assert Account.objects.get(pk=trader.pk).reserved_cash == D("1000.30")  # the reservation went with it
    again, created = place(trader, client_order_id="dup")
    assert (again.pk, created) == (first.pk, False)
