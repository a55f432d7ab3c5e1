"""The order path's per-process instrument cache: read once per INSTRUMENT_CACHE_SECONDS, and a
change made in this process is seen by the next order at once."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.errors import ServiceError
from marketdata.models import Instrument
from marketdata.selectors import instrument_cache_clear, instruments_get_cached
from orders.models import Order
from orders.services import account_set_frozen, order_place
from orders.services.ops import instrument_halt, instrument_resume
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.INSTRUMENT_CACHE_SECONDS = 60
    instrument_cache_clear()
    yield
    instrument_cache_clear()


def instrument_reads(queries) -> int:
    table = Instrument._meta.db_table
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith("SELECT") and table in q["sql"])


def buy(account, price="100.00"):
    return order_place(account=account, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D(price))


def test_the_instrument_is_read_once_then_served_from_memory(cached):
    make_instrument("AAPL")
    account = make_trader("alice", cash="10000.00")
    with CaptureQueriesContext(connection) as first:
        buy(account)
    with CaptureQueriesContext(connection) as second:
        buy(account)
    assert (instrument_reads(first.captured_queries), instrument_reads(second.captured_queries)) == (1, 0)


def test_unknown_symbols_are_remembered_as_unknown(cached):
    with CaptureQueriesContext(connection) as queries:
        assert instruments_get_cached(symbols=["NOPE"]) == {}
        assert instruments_get_cached(symbols=["NOPE"]) == {}
    assert instrument_reads(queries.captured_queries) == 1


def test_a_halt_refuses_the_very_next_order_and_a_resume_accepts_again(cached):
    aapl = make_instrument("AAPL")
    account = make_trader("alice", cash="10000.00")
    buy(account)
    instrument_halt(instrument=aapl)
    with pytest.raises(ServiceError) as refused:
        buy(account)
    assert refused.value.code == "instrument_halted"
    instrument_resume(instrument=aapl)
    order, created = buy(account)
    assert (order.status, created) == (Order.Status.ACCEPTED, True)


def test_a_saved_instrument_is_read_again(cached):
    aapl = make_instrument("AAPL")
    account = make_trader("alice", cash="10000.00")
    buy(account)
    aapl.price_band = D("0.01")  # as the admin saves it
    aapl.save()
    with pytest.raises(ServiceError) as refused:
        buy(account, price="90.00")
    assert refused.value.code == "price_out_of_band"


def test_a_frozen_account_is_refused_on_either_side_whatever_the_caller_holds(cached):
    aapl = make_instrument("AAPL")
    account = make_trader("alice", cash="10000.00", positions={aapl: "5"})
    account_set_frozen(account=account, frozen=True)
    account.frozen = False  # a stale copy, as a cached token would hold
    for side in ("buy", "sell"):
        with pytest.raises(ServiceError) as refused:
            order_place(account=account, symbol="AAPL", side=side, type="limit", qty=D("1"), limit_price=D("100.00"))
        assert refused.value.code == "account_frozen"
    account.refresh_from_db()
    assert (account.reserved_cash, account.positions.get().reserved_qty) == (D("0"), D("0"))
