"""What every private view needs (the caller's account, ids from the path), and the 404 of
unknown API paths."""

import re

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from common.errors import not_found
from orders.api.authentication import forget_tokens
from orders.api.filters import MAX_ID
from orders.models import Account
from orders.services import account_for_user

ORDER_ID = re.compile(r"[0-9]{1,19}")


def current_account(request) -> Account:
    return account_for_user(user=request.user)


def placing_account(request) -> Account:
    """The caller's account for placing orders: only its id is read from the (cached) token, since
    `order_place` reads the account's state itself, in the database. Otherwise as current_account."""
    account_id = getattr(request.auth, "cached_account_id", None)
    if account_id is not None:
        return Account(pk=account_id, user_id=request.user.pk)
    account = current_account(request)
    if hasattr(request.auth, "cached_account_id"):
        forget_tokens(request.auth.key)  # the account is new: cache it with the token next time
    return account


def order_id_from_path(raw: str) -> int:
    """An order id from the URL; anything that cannot be an id is simply not found."""
    if not ORDER_ID.fullmatch(raw) or not 0 < int(raw) <= MAX_ID:
        raise not_found("Order")
    return int(raw)


@extend_schema(exclude=True)
class ApiNotFoundView(APIView):
    """Any other path under /api/: the API's JSON 404 for every method, rather than the
    site's HTML page (or, for a POST without its trailing slash, Django's redirect error)."""

    permission_classes = [AllowAny]

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound("No such endpoint. See /api/docs/.")
