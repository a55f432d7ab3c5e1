"""Failed authentication attempts, counted per account and per client address in Redis, so that
password and secret guessing is refused with a lockout on every way in (the token endpoint, API
keys, the login page, the WebSocket's auth message).

A fixed window per counter: AUTH_FAILURE_WINDOW_SECONDS from the first failure. Past
AUTH_FAILURES_PER_ACCOUNT failures for one account, or AUTH_FAILURES_PER_ADDRESS from one address,
every attempt of that account or address is refused until the window ends, the right password
included. A success clears the account's counter (not the address's). Without Redis the limit is
not checked (it protects the venue; an outage of Redis must not lock everyone out).
"""

import hashlib

from django.conf import settings
from redis.exceptions import RedisError

from common.errors import throttled
from common.logging import get_logger
from common.outages import outage_logged
from common.redis import get_redis

log = get_logger(__name__)


def _keys(*, account: str | None, address: str | None) -> list[tuple[str, int]]:
    keys = []
    if account:
        # Hashed: a key never carries a username or key id as typed (any text, any length).
        digest = hashlib.sha256(account.strip().lower().encode("utf-8", "backslashreplace")).hexdigest()
        keys.append((f"auth:fail:account:{digest}", settings.AUTH_FAILURES_PER_ACCOUNT))
    if address:
        keys.append((f"auth:fail:address:{address}", settings.AUTH_FAILURES_PER_ADDRESS))
    return keys


def auth_attempt_check(*, account: str | None, address: str | None) -> None:
    """Raise a throttled ServiceError (429, Retry-After) while the account or the address is locked out."""
    keys = _keys(account=account, address=address)
    if not keys:
        return
    try:
        pipe = get_redis().pipeline(transaction=False)
        for key, _ in keys:
            pipe.get(key)
            pipe.ttl(key)
        replies = pipe.execute()
    except RedisError as error:
        if not outage_logged(log, error, what="authentication attempts not checked"):
            log.warning("authentication attempts not checked: Redis unavailable")
        return
    for (_, limit), count, ttl in zip(keys, replies[::2], replies[1::2]):
        if count is not None and int(count) >= limit:
            minutes = max(1, -(-max(ttl, 1) // 60))
            raise throttled(f"Too many failed attempts; try again in {minutes} minute{'s' if minutes > 1 else ''}.",
                            retry_after=max(ttl, 1))


def auth_attempt_failed(*, account: str | None, address: str | None) -> None:
    window = settings.AUTH_FAILURE_WINDOW_SECONDS
    try:
        pipe = get_redis().pipeline(transaction=False)
        for key, _ in _keys(account=account, address=address):
            pipe.set(key, 0, ex=window, nx=True)  # the window starts at the first failure
            pipe.incr(key)
        pipe.execute()
    except RedisError as error:
        if not outage_logged(log, error, what="failed authentication not counted"):
            log.warning("failed authentication not counted: Redis unavailable")
    log.info("authentication failed", address=address)


def auth_attempt_succeeded(*, account: str) -> None:
    try:
        get_redis().delete(*[key for key, _ in _keys(account=account, address=None)])
    except RedisError:
        pass
