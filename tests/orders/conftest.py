"""Fixtures of the orders tests: a seeded venue, one with a consistent fill, the bus stream."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from marketdata.models import Instrument
from orders.models import Account
from orders.services import account_for_user, account_system
from tests.orders.support import BusTail, fill, place


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=io.StringIO())
    users = {u.username: u for u in get_user_model().objects.all()}
    return {
        "users": users,
        "alice": account_for_user(user=users["alice"]),
        "bob": account_for_user(user=users["bob"]),
        "house": account_system(kind=Account.Kind.HOUSE),
        "external": account_system(kind=Account.Kind.EXTERNAL),
        "aapl": Instrument.objects.get(symbol="AAPL"),
    }


@pytest.fixture
def traded(seeded):
    """alice bought 10 AAPL from bob (bob's order rested); alice also has a resting buy and bob
    a resting sell, both partly open."""
    sell = place(seeded["bob"], side="sell", qty="30", price="190.00")
    buy = place(seeded["alice"], side="buy", qty="10", price="190.50")
    trade = fill(maker=sell, taker=buy, qty="10", price="190.00")
    resting_buy = place(seeded["alice"], side="buy", qty="5", price="185.00")
    for obj in (seeded["alice"], seeded["bob"], buy, sell):
        obj.refresh_from_db()
    return {**seeded, "sell": sell, "buy": buy, "trade": trade, "resting_buy": resting_buy}


@pytest.fixture
def bus_tail():
    return BusTail
