"""Authentication of REST requests, in the order DRF tries them (settings.REST_FRAMEWORK):

- `CachedTokenAuthentication`: `Authorization: Token ...`, DRF's, with the token -> (user, account id)
  lookup kept in Redis for TOKEN_CACHE_SECONDS, so a request costs one Redis read instead of a join
  on the database (about a millisecond of the order path). Every process drops the entry at once
  when the token is deleted or the user is saved, through the signals connected in
  `connect_signals`; the expiry bounds what a bulk `QuerySet.update()`, which sends no signal, can
  leave behind. Without Redis the lookup simply goes to the database;
- `ApiKeyAuthentication`: the `APCA-API-KEY-ID` and `APCA-API-SECRET-KEY` headers (orders.services.api_keys);
- Django's session (the browser), with CSRF.

Failed attempts count toward the lockout per account and address (orders.services.auth_attempts).
`TradeScope` refuses writes to a key without the `trade` scope (403).
"""

import hashlib
import pickle

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS, BasePermission

from common.errors import forbidden
from common.logging import get_logger
from common.outages import outage_logged
from common.redis import get_redis
from orders.models import Account, ApiKey
from orders.services.api_keys import api_key_authenticate, api_key_forget, api_keys_forget_user
from orders.services.auth_attempts import auth_attempt_check, auth_attempt_failed

log = get_logger(__name__)

TOKEN_CACHE_SECONDS = 300


def token_cache_key(key: str) -> str:
    # Hashed: the cache never holds a usable credential as a key.
    return "auth:token:" + hashlib.sha256(key.encode()).hexdigest()


def forget_tokens(*keys: str) -> None:
    """Drop cached lookups of these tokens (every process reads the same cache)."""
    if keys:
        try:
            get_redis().delete(*[token_cache_key(key) for key in keys])
        except Exception as error:
            if not outage_logged(log, error, what="cached tokens not dropped", expire_within_s=TOKEN_CACHE_SECONDS):
                log.warning("cached tokens not dropped", expire_within_s=TOKEN_CACHE_SECONDS, exc_info=True)


def client_address(request) -> str | None:
    """The peer's address (the proxy in front sets REMOTE_ADDR; see docs/serving.md)."""
    return request.META.get("REMOTE_ADDR")


KEY_HEADER, SECRET_HEADER = "HTTP_APCA_API_KEY_ID", "HTTP_APCA_API_SECRET_KEY"


class ApiKeyAuthentication(BaseAuthentication):
    """The API key headers; `request.auth` is the key's ApiKeyIdentity."""

    def authenticate(self, request):
        key_id, secret = request.META.get(KEY_HEADER), request.META.get(SECRET_HEADER)
        if key_id is None and secret is None:
            return None
        if not key_id or not secret:
            raise AuthenticationFailed("Send both APCA-API-KEY-ID and APCA-API-SECRET-KEY.")
        identity = api_key_authenticate(key_id=key_id, secret=secret, address=client_address(request))
        if identity is None:
            raise AuthenticationFailed("Invalid API key.")
        return identity.user, identity

    def authenticate_header(self, request) -> str:
        return "APCA-API-KEY-ID"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The two headers in the OpenAPI document: both together authenticate."""

    target_class = ApiKeyAuthentication
    name = ["ApiKeyId", "ApiKeySecret"]

    def get_security_definition(self, auto_schema):
        return [{"type": "apiKey", "in": "header", "name": "APCA-API-KEY-ID"},
                {"type": "apiKey", "in": "header", "name": "APCA-API-SECRET-KEY"}]

    def get_security_requirement(self, auto_schema):
        return {"ApiKeyId": [], "ApiKeySecret": []}


class TradeScope(BasePermission):
    """A request authenticated by a key without the `trade` scope may only read."""

    def has_permission(self, request, view) -> bool:
        if request.method not in SAFE_METHODS and getattr(request.auth, "can_trade", True) is False:
            raise forbidden("This API key may only read: create one with the trade scope to place, replace or "
                            "cancel orders.")
        return True


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's TokenAuthentication with the lookup cached. The returned token carries
    `cached_account_id`: the user's account id, or None if the user had none when cached."""

    def authenticate(self, request):
        address = client_address(request)
        auth_attempt_check(account=None, address=address)
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            auth_attempt_failed(account=None, address=address)
            raise

    def authenticate_credentials(self, key):
        cache_key = token_cache_key(key)
        try:
            cached = get_redis().get(cache_key)
        except Exception as error:
            if not outage_logged(log, error, what="token cache unavailable"):
                log.warning("token cache unavailable", exc_info=True)
            cached = None
        if cached is not None:
            token = pickle.loads(cached)  # written below by this code only, as Django's cache would
            return token.user, token
        user, token = super().authenticate_credentials(key)  # refuses unknown tokens and inactive users
        token.cached_account_id = Account.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
        try:
            get_redis().set(cache_key, pickle.dumps(token, pickle.HIGHEST_PROTOCOL), ex=TOKEN_CACHE_SECONDS)
        except Exception as error:
            if not outage_logged(log, error, what="token cache unavailable"):
                log.warning("token cache unavailable", exc_info=True)
        return user, token


def _token_deleted(sender, instance, **kwargs) -> None:
    forget_tokens(instance.key)


def _user_saved(sender, instance, **kwargs) -> None:
    forget_tokens(*Token.objects.filter(user_id=instance.pk).values_list("key", flat=True))
    api_keys_forget_user(user_id=instance.pk)


def _api_key_deleted(sender, instance, **kwargs) -> None:
    api_key_forget(instance.key_id)


def connect_signals() -> None:
    """Called from OrdersConfig.ready (this module imports no DRF view, so that it can be), so that every
    process (web, admin, shell, tasks) invalidates."""
    post_delete.connect(_token_deleted, sender=Token, dispatch_uid="orders.api.authentication.token_deleted")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="orders.api.authentication.user_saved")
    post_delete.connect(_api_key_deleted, sender=ApiKey, dispatch_uid="orders.api.authentication.api_key_deleted")
