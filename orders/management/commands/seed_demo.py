"""Demo data for `make run`. Idempotent: running it again changes nothing that exists.

Instruments, the house and external system accounts, the ops superuser, the demo traders
and the bot accounts. Cash goes in through `account_deposit` and positions through
`position_grant`, each marked with the memo `seed_demo`, and only when that account has
no such deposit (or transfer of that instrument) yet: a second run never funds twice.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from marketdata.models import Instrument
from orders.models import Account, LedgerEntry, PositionTransfer
from orders.services import account_deposit, account_for_user, account_system, position_grant

OPS = ("ops", "ops-demo-pass")
TRADERS = [("alice", "alice-demo-pass"), ("bob", "bob-demo-pass")]
# Trading bots log in with API tokens only (their passwords are unusable).
BOTS = ["bot-mm", "bot-taker"]
SEED_MEMO = "seed_demo"

# symbol, name, reference price. Tick 0.01, lot 1, the model's default band, limits and fees.
INSTRUMENTS = [
    ("AAPL", "Apple Inc.", "190.00"),
    ("MSFT", "Microsoft Corporation", "420.00"),
    ("GOOGL", "Alphabet Inc. Class A", "170.00"),
    ("AAL", "American Airlines Group Inc.", "14.00"),
    ("TSLA", "Tesla, Inc.", "250.00"),
    ("SPY", "SPDR S&P 500 ETF Trust", "550.00"),
]
TICK_SIZE = Decimal("0.01")
LOT_SIZE = Decimal("1")

# username -> (cash, {symbol: qty}); positions are granted at the reference price.
FUNDING = {
    "alice": ("1000000.00", {"AAPL": 1000, "MSFT": 500, "GOOGL": 500, "AAL": 10000, "TSLA": 400, "SPY": 200}),
    "bob": ("1000000.00", {"AAPL": 800, "MSFT": 600, "GOOGL": 700, "AAL": 8000, "TSLA": 300, "SPY": 250}),
    "bot-mm": ("5000000.00", {"AAPL": 20000, "MSFT": 10000, "GOOGL": 20000, "AAL": 100000, "TSLA": 15000,
                              "SPY": 8000}),
    "bot-taker": ("1000000.00", {"AAPL": 2000, "MSFT": 1000, "GOOGL": 2000, "AAL": 10000, "TSLA": 1500, "SPY": 800}),
}


class Command(BaseCommand):
    help = ("Create the demo instruments, system accounts, ops superuser, traders and bot accounts with cash and "
            "positions (idempotent) and print the logins.")

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        username, password = OPS
        if not User.objects.filter(username=username).exists():
            User.objects.create_superuser(username=username, password=password, email="")

        instruments = {}
        for symbol, name, reference in INSTRUMENTS:
            instruments[symbol], _ = Instrument.objects.get_or_create(
                symbol=symbol,
                defaults={"name": name, "tick_size": TICK_SIZE, "lot_size": LOT_SIZE,
                          "reference_price": Decimal(reference)},
            )
        account_system(kind=Account.Kind.HOUSE)
        account_system(kind=Account.Kind.EXTERNAL)

        users = []
        for username, password in TRADERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username=username, password=password)
            users.append(user)
        for username in BOTS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username=username, password=None)  # unusable password
            users.append(user)

        for user in users:
            Token.objects.get_or_create(user=user)
            cash, holdings = FUNDING[user.username]
            self._fund(account_for_user(user=user), Decimal(cash), holdings, instruments)

        self.stdout.write("Demo logins (change them before exposing this venue):")
        self.stdout.write(f"  ops (admin):  {OPS[0]} / {OPS[1]}")
        for username, password in TRADERS:
            self.stdout.write(f"  trader:       {username} / {password}")
        self.stdout.write(f"  bots:         {', '.join(BOTS)} (API token only)")

    @staticmethod
    def _fund(account: Account, cash: Decimal, holdings: dict[str, int], instruments: dict[str, Instrument]) -> None:
        seeded = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.DEPOSIT, memo=SEED_MEMO).exists()
        if not seeded:
            account_deposit(account=account, amount=cash, memo=SEED_MEMO)
        granted = set(PositionTransfer.objects.filter(account=account, memo=SEED_MEMO)
                      .values_list("instrument__symbol", flat=True))
        for symbol, qty in holdings.items():
            instrument = instruments[symbol]
            if symbol in granted or instrument.reference_price is None:
                continue
            position_grant(account=account, instrument=instrument, qty=Decimal(qty),
                           avg_price=instrument.reference_price, memo=SEED_MEMO)
