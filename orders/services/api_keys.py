"""API keys: created by their user (browser, REST, `manage.py create_api_key`), revoked by the
user or by ops, checked on every request that carries one.

The secret is shown once, at creation, and kept only as its SHA-256. A check reads the key from
Redis when it can (one round trip): the cached entry holds the hash, never the secret, and is
dropped at once when the key is revoked or its user changes (signals in orders.apps).
"""

import hashlib
import hmac
import pickle
import secrets
import string
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from common.errors import ServiceError, invalid, not_found
from common.logging import get_logger
from common.redis import get_redis
from orders.models import Account, ApiKey
from orders.services.auth_attempts import auth_attempt_check, auth_attempt_failed

log = get_logger(__name__)

SCOPES = (["read"], ["read", "trade"])
MAX_ACTIVE_KEYS = 20
MAX_LABEL = 100
KEY_ID_LENGTH = 20
KEY_ID_ALPHABET = string.ascii_uppercase + string.digits
CACHE_SECONDS = 300
# last_used_at is written at most this often per key and process (not once per request).
LAST_USED_EVERY = 60.0
_last_used_written: dict[str, float] = {}


@dataclass(frozen=True)
class ApiKeyIdentity:
    """What a request authenticated by an API key carries as `request.auth`."""

    key_id: str
    user: object
    can_trade: bool
    cached_account_id: int | None  # the user's account id (as the token cache carries it)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "backslashreplace")).hexdigest()


def _cache_key(key_id: str) -> str:
    return "auth:apikey:" + hashlib.sha256(key_id.encode("utf-8", "backslashreplace")).hexdigest()


def api_key_forget(*key_ids: str) -> None:
    """Drop cached lookups of these keys (every process reads the same cache)."""
    if key_ids:
        try:
            get_redis().delete(*[_cache_key(key_id) for key_id in key_ids])
        except RedisError:
            log.warning("cached API keys not dropped", expire_within_s=CACHE_SECONDS)


def _parse_scopes(scopes) -> bool:
    """Whether the scopes include trading; ["read"] or ["read", "trade"] in any order."""
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes) \
            or sorted(scopes) not in [sorted(allowed) for allowed in SCOPES]:
        raise invalid("scopes", 'Give ["read"] or ["read", "trade"].')
    return "trade" in scopes


def api_key_create(*, user, scopes: list[str], label: str = "") -> tuple[ApiKey, str]:
    """A new key of `user`; returns it and its secret, which is not kept and cannot be shown again."""
    can_trade = _parse_scopes(scopes)
    if not isinstance(label, str) or len(label) > MAX_LABEL or not label.isprintable():
        raise invalid("label", f"Use at most {MAX_LABEL} printable characters.")
    with transaction.atomic():
        active = ApiKey.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        if len(active) >= MAX_ACTIVE_KEYS:
            raise ServiceError("too_many_api_keys", f"At most {MAX_ACTIVE_KEYS} active API keys per user; revoke one.")
        secret = secrets.token_urlsafe(32)
        key = ApiKey.objects.create(user=user, key_id="PK" + "".join(
            secrets.choice(KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH - 2)), secret_hash=secret_digest(secret),
            label=label, can_trade=can_trade)
    log.info("api key created", key_id=key.key_id, user_id=user.pk, scopes=key.scopes)
    return key, secret


def api_key_list(*, user) -> list[ApiKey]:
    return list(ApiKey.objects.filter(user=user).order_by("-id"))


def api_key_revoke(*, user, key_id: str) -> ApiKey:
    """Revoke one of `user`'s keys; it stops working at once, in every process."""
    key = ApiKey.objects.filter(user=user, key_id=key_id).first() if isinstance(key_id, str) else None
    if key is None:
        raise not_found("API key")
    return api_key_revoke_any(key=key)


def api_key_revoke_any(*, key: ApiKey) -> ApiKey:
    """Revoke a key whoever owns it (ops, in the admin)."""
    if key.revoked_at is None:
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        key.refresh_from_db()
        log.info("api key revoked", key_id=key.key_id, user_id=key.user_id)
    api_key_forget(key.key_id)
    return key


def _load(key_id: str) -> tuple[ApiKey | None, object | None, int | None]:
    key = ApiKey.objects.select_related("user").filter(key_id=key_id).first()
    if key is None:
        return None, None, None
    account_id = Account.objects.filter(user_id=key.user_id).values_list("pk", flat=True).first()
    return key, key.user, account_id


def _cached(key_id: str) -> tuple[ApiKey | None, object | None, int | None]:
    cache_key = _cache_key(key_id)
    try:
        raw = get_redis().get(cache_key)
    except RedisError:
        raw = None
    if raw is not None:
        return pickle.loads(raw)  # written below by this code only, as Django's cache would
    found = _load(key_id)
    if found[0] is not None:
        try:
            get_redis().set(cache_key, pickle.dumps(found, pickle.HIGHEST_PROTOCOL), ex=CACHE_SECONDS)
        except RedisError:
            pass
    return found


def _touch(key: ApiKey) -> None:
    now = time.monotonic()
    if now - _last_used_written.get(key.key_id, -LAST_USED_EVERY) >= LAST_USED_EVERY:
        _last_used_written[key.key_id] = now
        if len(_last_used_written) > 10_000:
            _last_used_written.clear()
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())


def api_key_authenticate(*, key_id, secret, address: str | None) -> ApiKeyIdentity | None:
    """The identity of a valid, active key whose user is active; None when the pair is wrong.
    Raises a throttled ServiceError while the key's account or the address is locked out."""
    if not isinstance(key_id, str) or not isinstance(secret, str) or not 0 < len(key_id) <= 64 \
            or not 0 < len(secret) <= 256:
        auth_attempt_failed(account=None, address=address)
        return None
    key, user, account_id = _cached(key_id)
    subject = user.get_username() if user is not None else None
    auth_attempt_check(account=subject, address=address)
    if key is None or not key.is_active or not user.is_active \
            or not hmac.compare_digest(key.secret_hash, secret_digest(secret)):
        auth_attempt_failed(account=subject, address=address)
        return None
    _touch(key)
    return ApiKeyIdentity(key_id=key.key_id, user=user, can_trade=key.can_trade, cached_account_id=account_id)


def api_keys_forget_user(*, user_id: int) -> None:
    """A user changed (deactivated, renamed...): drop the cached lookups of all their keys."""
    api_key_forget(*ApiKey.objects.filter(user_id=user_id).values_list("key_id", flat=True))
