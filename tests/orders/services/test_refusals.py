from decimal import Decimal as D

import pytest

from common.errors import ServiceError
from orders.models import Account, LedgerEntry, Order
from orders.services import account_deposit, account_set_frozen, account_system, order_place, order_replace
from orders.services.ops import instrument_halt
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


@pytest.fixture
def resting():
    aapl = make_instrument("AAPL")
    account = make_trader("trader", cash="10000.00")
    order, _ = order_place(account=account, symbol="AAPL", side="buy", type="limit", qty=D("10"), limit_price=D("99.00"))
    Order.objects.filter(pk=order.pk).update(status="new")
    return aapl, account, order


def test_replace_is_refused_on_a_frozen_account_and_changes_nothing(resting):
    _, account, order = resting
    account_set_frozen(account=account, frozen=True)
    with pytest.raises(ServiceError) as refused:
        order_replace(account=account, order_id=order.pk, qty=D("20"))
    assert refused.value.code == "account_frozen"
    order.refresh_from_db(); account.refresh_from_db()
    assert (order.replace_qty, order.reserved_cash, account.reserved_cash) == (None, D("990.30"), D("990.30"))


def test_replace_is_refused_on_a_halted_instrument(resting):
    aapl, account, order = resting
    instrument_halt(instrument=aapl)
    with pytest.raises(ServiceError) as refused:
        order_replace(account=account, order_id=order.pk, limit_price=D("98.00"))
    assert refused.value.code == "instrument_halted"
    order.refresh_from_db()
    assert order.replace_limit_price is None


def test_replace_past_the_max_notional_is_refused(resting):
    aapl, account, order = resting
    aapl.max_order_notional = D("1500.00")
    aapl.save()
    with pytest.raises(ServiceError) as refused:
        order_replace(account=account, order_id=order.pk, qty=D("16"))
    assert refused.value.code == "size_limit"


def test_the_external_account_takes_no_deposit():
    external = account_system(kind=Account.Kind.EXTERNAL)
    with pytest.raises(ServiceError) as refused:
        account_deposit(account=external, amount=D("10.00"))
    assert refused.value.code == "invalid_account"
    assert LedgerEntry.objects.count() == 0
