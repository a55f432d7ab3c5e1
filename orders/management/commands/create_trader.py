"""`manage.py create_trader`: a funded trader with an API token, for ops and tests.

    manage.py create_trader carol --password s3cret --cash 100000 --position AAPL:100 --position MSFT:50@410

Prints the trader's API token alone on stdout (so `TOKEN=$(manage.py create_trader ...)`
works) and a summary on stderr. Cash goes in through `account_deposit` and positions
through `position_grant`, so the ledger and the audit agree with what was created.
"""

from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from common.errors import ServiceError
from marketdata.models import Instrument
from orders.models import Account
from orders.services import account_deposit, account_for_user, position_grant


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(f"{what} must be a number, got {text!r}.") from None
    if not value.is_finite():
        raise CommandError(f"{what} must be a finite number, got {text!r}.")
    return value


def parse_position(text: str) -> tuple[str, Decimal, Decimal | None]:
    """`SYMBOL:QTY` or `SYMBOL:QTY@PRICE`."""
    symbol, sep, rest = text.partition(":")
    if not sep or not symbol or not rest:
        raise CommandError(f"--position takes SYMBOL:QTY or SYMBOL:QTY@PRICE, got {text!r}.")
    qty_text, at, price_text = rest.partition("@")
    price = _decimal(price_text, f"the price in --position {text}") if at else None
    return symbol.strip().upper(), _decimal(qty_text, f"the quantity in --position {text}"), price


class Command(BaseCommand):
    help = ("Create a trader: the user, the account, a cash deposit and opening positions, and print the "
            "user's API token.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", help="Login password. Without it a new user gets an unusable password "
                                               "(the API token still works).")
        parser.add_argument("--email", default="")
        parser.add_argument("--cash", default="0", help="Cash to deposit, e.g. 100000 or 2500.50 (default 0).")
        parser.add_argument("--position", action="append", default=[], metavar="SYMBOL:QTY[@PRICE]",
                            help="An opening position; repeat for several.")
        parser.add_argument("--position-price",
                            help="Cost price of the positions that name none (default: each instrument's reference "
                                 "price).")
        parser.add_argument("--memo", default="create_trader", help="Memo on the deposit and transfers.")
        parser.add_argument("--exists-ok", action="store_true",
                            help="If the user exists, keep it: set the password if given and print the token. "
                                 "An existing user is never funded again (cash and positions are skipped).")

    def handle(self, *args, username: str, password: str | None, email: str, cash: str, position: list[str],
               position_price: str | None, memo: str, exists_ok: bool, **options):
        cash_amount = _decimal(cash, "--cash")
        if cash_amount < 0:
            raise CommandError("--cash cannot be negative.")
        default_price = _decimal(position_price, "--position-price") if position_price is not None else None
        grants = [parse_position(text) for text in position]
        User = get_user_model()

        with transaction.atomic():
            user = User.objects.select_for_update().filter(username=username).first()
            created = user is None
            if not created and not exists_ok:
                raise CommandError(f"User {username!r} already exists (pass --exists-ok to keep it and print its token).")
            if created:
                user = User.objects.create_user(username=username, email=email, password=password)
            elif password:
                user.set_password(password)
                user.save(update_fields=["password"])
            account = account_for_user(user=user)
            if account.kind != Account.Kind.TRADER:
                raise CommandError(f"User {username!r} owns a {account.kind} account, not a trader account.")
            token, _ = Token.objects.get_or_create(user=user)
            summary = [f"{'created' if created else 'kept existing'} trader {username} (account {account.pk})"]
            if created:
                summary += self._fund(account, cash_amount, grants, default_price, memo)
            elif cash_amount or grants:
                summary.append("existing user: cash and positions left as they are")

        for line in summary:
            self.stderr.write(line)
        self.stdout.write(token.key)

    def _fund(self, account, cash_amount: Decimal, grants, default_price: Decimal | None, memo: str) -> list[str]:
        lines = []
        try:
            if cash_amount:
                account = account_deposit(account=account, amount=cash_amount, memo=memo)
                lines.append(f"deposited {account.cash} {account.currency}")
            for symbol, qty, price in grants:
                instrument = Instrument.objects.filter(symbol=symbol).first()
                if instrument is None:
                    raise CommandError(f"Unknown symbol {symbol!r} in --position.")
                price = price if price is not None else default_price
                if price is None:
                    price = instrument.reference_price
                if price is None or price <= 0:
                    raise CommandError(f"{symbol} has no reference price: give --position-price or {symbol}:QTY@PRICE.")
                held = position_grant(account=account, instrument=instrument, qty=qty, avg_price=price, memo=memo)
                lines.append(f"granted {qty.normalize():f} {symbol} at {price.normalize():f} (position {held.qty.normalize():f})")
        except ServiceError as error:
            raise CommandError(f"{error.detail} ({error.code})") from None
        return lines
