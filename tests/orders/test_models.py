from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from orders.models import Account
from tests.factories import make_trader

pytestmark = pytest.mark.django_db


def test_float_drift_in_sqlite_sums_does_not_trip_the_balance_checks():
    # In SQLite's floating point 999.80 - 399.92 - 599.88 is about -1e-13, not 0.
    account = make_trader("drift", cash="1000.00")
    Account.objects.filter(pk=account.pk).update(reserved_cash=D("999.80"))
    Account.objects.filter(pk=account.pk).update(reserved_cash=F("reserved_cash") - D("399.92"))
    Account.objects.filter(pk=account.pk).update(reserved_cash=F("reserved_cash") - D("599.88"))
    account.refresh_from_db()
    assert account.reserved_cash == D("0.00")


def test_the_balance_checks_still_refuse_a_real_overdraft():
    account = make_trader("overdraft", cash="10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(reserved_cash=D("10.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(reserved_cash=D("-0.01"))
