"""Test data made through the real services, so tests start from states the venue can reach."""

from decimal import Decimal

from django.contrib.auth.models import User

from marketdata.models import Instrument
from orders.services import account_deposit, account_for_user, position_grant


def make_instrument(symbol: str = "AAPL", *, reference: str = "100.00", **fields) -> Instrument:
    defaults = {"name": f"{symbol} Inc.", "tick_size": Decimal("0.01"), "lot_size": Decimal("1"),
                "reference_price": Decimal(reference)}
    return Instrument.objects.create(symbol=symbol, **{**defaults, **fields})


def make_trader(username: str, *, cash: str = "0", positions: dict[Instrument, str] | None = None, price: str = "90.00"):
    account = account_for_user(user=User.objects.create_user(username, password=f"{username}-pass"))
    if Decimal(cash):
        account_deposit(account=account, amount=Decimal(cash))
    for instrument, qty in (positions or {}).items():
        position_grant(account=account, instrument=instrument, qty=Decimal(qty), avg_price=Decimal(price))
    account.refresh_from_db()
    return account
