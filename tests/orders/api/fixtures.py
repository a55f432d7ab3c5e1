"""Fixtures and helpers shared by the API tests (imported by both API conftest files).

Traders are made through the services (account_for_user, account_deposit, position_grant),
as ops would; nothing here touches balances directly.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from marketdata.models import Instrument
from orders.models import Account, Order, Position
from orders.services import account_deposit, account_for_user, position_grant

D = Decimal
ORDERS = "/api/v1/orders/"


@dataclass
class Trader:
    user: object
    account: Account
    client: APIClient
    token: str

    def balances(self) -> tuple[Decimal, Decimal]:
        self.account.refresh_from_db()
        return self.account.cash, self.account.reserved_cash

    def reserved_qty(self, instrument: Instrument) -> Decimal:
        position = Position.objects.filter(account=self.account, instrument=instrument).first()
        return position.reserved_qty if position else D("0")

    def place(self, **body):
        order = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": "10", "limit_price": "100.00",
                 "time_in_force": "gtc"}
        order.update(body)
        return self.client.post(ORDERS, {k: v for k, v in order.items() if v is not None}, format="json")


def make_instrument(symbol: str = "AAPL", **fields) -> Instrument:
    values = {"name": f"{symbol} Inc.", "tick_size": D("0.01"), "lot_size": D("1"), "reference_price": D("100.00")}
    values.update(fields)
    return Instrument.objects.create(symbol=symbol, **values)


def make_trader(username: str, *, cash: Decimal | None = D("100000.00"),
                holdings: dict[Instrument, tuple[Decimal, Decimal]] | None = None,
                password: str | None = None) -> Trader:
    # No password unless a test logs in with one: hashing is slow under the dev settings.
    user = get_user_model().objects.create_user(username=username, password=password)
    account = account_for_user(user=user)
    if cash:
        account = account_deposit(account=account, amount=cash, memo="test funding")
    for instrument, (qty, avg_price) in (holdings or {}).items():
        position_grant(account=account, instrument=instrument, qty=qty, avg_price=avg_price, memo="test grant")
    token = Token.objects.create(user=user).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return Trader(user=user, account=account, client=client, token=token)


class Unchanged:
    """Snapshot of what a refused or invalid request must not change."""

    def __init__(self, *traders: Trader):
        self.traders = traders
        self.before = self.state()

    def state(self):
        return (
            Order.objects.count(),
            list(Order.objects.order_by("id").values_list("id", "status", "qty", "limit_price", "replace_qty",
                                                          "replace_limit_price", "reserved_cash")),
            [t.balances() for t in self.traders],
            list(Position.objects.order_by("id").values_list("id", "qty", "reserved_qty")),
        )

    def check(self) -> None:
        assert self.state() == self.before


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def aapl(db) -> Instrument:
    return make_instrument("AAPL")


@pytest.fixture
def msft(db) -> Instrument:
    return make_instrument("MSFT", name="Microsoft Corp.", reference_price=D("400.00"))


@pytest.fixture
def alice(aapl) -> Trader:
    return make_trader("alice", holdings={aapl: (D("100"), D("90.00"))})


@pytest.fixture
def bob(aapl) -> Trader:
    return make_trader("bob", holdings={aapl: (D("50"), D("95.00"))})


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
