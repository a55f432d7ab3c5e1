"""WebSocket authentication and origin checks (docs/realtime.md).

A socket is authenticated by the Django session cookie (Channels' AuthMiddlewareStack), by an
API token in the URL (`?token=`, `TokenQueryAuthMiddleware` below), or by a first
`{"action": "auth", "token": ...}` or `{"action": "auth", "key_id": ..., "secret": ...}` message
(the consumer calls `socket_credentials`). A token in the URL that does not authenticate leaves the
socket anonymous with `scope["auth_error"]` set; the consumer reports it and closes with 4001.
Failed attempts count toward the lockout per account and address, as on REST.
"""

from urllib.parse import parse_qs, urlparse

from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authtoken.models import Token

from common.errors import ServiceError
from orders.services.api_keys import api_key_authenticate
from orders.services.auth_attempts import auth_attempt_check, auth_attempt_failed

MAX_TOKEN_LENGTH = 128
RAW_SEND = "realtime.raw_send"  # scope key: the ASGI server's send, before any middleware wrapped it


def client_address(scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def user_for_token(key, *, address: str | None = None) -> object | None:
    """The active user owning API token `key`, or None. Raises a throttled ServiceError while the
    address is locked out."""
    auth_attempt_check(account=None, address=address)
    token = None
    if isinstance(key, str) and key and len(key) <= MAX_TOKEN_LENGTH:
        token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        auth_attempt_failed(account=None, address=address)
        return None
    return token.user


def socket_credentials(message: dict, *, address: str | None) -> tuple[object, bool] | None:
    """(user, can_trade) for the credentials of an `auth` message (a token, or an API key's id and
    secret), or None when they do not authenticate. Raises a throttled ServiceError when locked out."""
    if "key_id" in message or "secret" in message:
        identity = api_key_authenticate(key_id=message.get("key_id"), secret=message.get("secret"), address=address)
        return None if identity is None else (identity.user, identity.can_trade)
    user = user_for_token(message.get("token"), address=address)
    return None if user is None else (user, True)


class TokenQueryAuthMiddleware:
    """`?token=<key>` authenticates the socket as the token's user (over any session user)."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if "token" in query:
                try:
                    user = await database_sync_to_async(user_for_token)(query["token"][-1],
                                                                        address=client_address(scope))
                except ServiceError:  # locked out
                    user = None
                if user is not None:
                    scope = dict(scope, user=user)
                else:
                    scope = dict(scope, user=AnonymousUser(), auth_error="invalid_token")
        return await self.inner(scope, receive, send)


class Denier(WebsocketDenier):
    # No channel-layer channel for a socket that is refused at once (a channels-redis receive
    # can outlive its cancellation; see docs/realtime.md).
    channel_layer_alias = None


class BrowserOriginValidator(OriginValidator):
    """Browsers always send Origin: a browser page from another site is refused (the session
    cookie must not let it in). A client that sends no Origin is not a browser and carries its
    own credentials, so it is let through."""

    async def __call__(self, scope, receive, send):
        # The server's own send, for the market-data writes: the session middleware's wrapper
        # around it looks at the session on every message (about 3 us of a 12 us write).
        scope = dict(scope, **{RAW_SEND: send})
        origin = None
        for name, value in scope.get("headers", []):
            if name == b"origin":
                origin = value
        if origin is None:
            return await self.application(scope, receive, send)
        try:
            parsed = urlparse(origin.decode("latin1"))
        except UnicodeDecodeError:
            parsed = None
        if parsed is not None and self.valid_origin(parsed):
            return await self.application(scope, receive, send)
        return await Denier()(scope, receive, send)


def AllowedHostsBrowserOriginValidator(application):  # noqa: N802 - named like Channels' factory
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(application, allowed_hosts)
