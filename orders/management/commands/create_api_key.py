"""`manage.py create_api_key USER [--scope read|trade] [--label L]`: a new API key of USER, printed
as the two environment lines an Alpaca client reads:

    APCA-API-KEY-ID=PK...
    APCA-API-SECRET-KEY=...

The secret is not kept (only its hash): this is the one time it is shown.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from common.errors import ServiceError
from orders.services.api_keys import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a user and print APCA-API-KEY-ID and APCA-API-SECRET-KEY (the secret only now)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", choices=("read", "trade"), default="trade",
                            help="read: market data, account, orders (default trade: may also place, replace, cancel)")
        parser.add_argument("--label", default="", help="What the key is for (shown in the lists).")

    def handle(self, *args, username: str, scope: str, label: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is not active.")
        try:
            key, secret = api_key_create(user=user, scopes=["read", "trade"] if scope == "trade" else ["read"],
                                         label=label)
        except ServiceError as error:
            raise CommandError(f"{error.detail} ({error.code})") from None
        self.stdout.write(f"APCA-API-KEY-ID={key.key_id}")
        self.stdout.write(f"APCA-API-SECRET-KEY={secret}")
