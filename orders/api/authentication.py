"""API token authentication: `CachedTokenAuthentication` checks the `Authorization: Token ...`
header of every API request.

The token -> (user, account id) lookup is kept in Redis (pickled, as Django's cache would, but
through the one shared client: Django's Redis cache builds a client object per call) for
TOKEN_CACHE_SECONDS, so a request costs one Redis read instead of a join on the database (about a
millisecond of the order path). Every process drops the entry at once when the token is deleted or the user is saved
(deactivated, renamed, made staff...), through the signals connected in `connect_signals`; the expiry
bounds what a bulk `QuerySet.update()`, which sends no signal, can leave behind. Without Redis the
lookup simply goes to the database.
"""

import hashlib
import pickle

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from common.logging import get_logger
from common.redis import get_redis
from orders.models import Account

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
        except Exception:
            log.warning("cached tokens not dropped", expire_within_s=TOKEN_CACHE_SECONDS, exc_info=True)


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's TokenAuthentication with the lookup cached. The returned token carries
    `cached_account_id`: the user's account id, or None if the user had none when cached."""

    def authenticate_credentials(self, key):
        cache_key = token_cache_key(key)
        try:
            cached = get_redis().get(cache_key)
        except Exception:
            log.warning("token cache unavailable", exc_info=True)
            cached = None
        if cached is not None:
            token = pickle.loads(cached)  # written below by this code only, as Django's cache would
            return token.user, token
        user, token = super().authenticate_credentials(key)  # refuses unknown tokens and inactive users
        token.cached_account_id = Account.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
        try:
            get_redis().set(cache_key, pickle.dumps(token, pickle.HIGHEST_PROTOCOL), ex=TOKEN_CACHE_SECONDS)
        except Exception:
            log.warning("token cache unavailable", exc_info=True)
        return user, token


def _token_deleted(sender, instance, **kwargs) -> None:
    forget_tokens(instance.key)


def _user_saved(sender, instance, **kwargs) -> None:
    forget_tokens(*Token.objects.filter(user_id=instance.pk).values_list("key", flat=True))


def connect_signals() -> None:
    """Called from OrdersConfig.ready (this module imports no DRF view, so that it can be), so that every process (web, admin, shell, tasks) invalidates."""
    post_delete.connect(_token_deleted, sender=Token, dispatch_uid="orders.api.views.auth.token_deleted")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="orders.api.views.auth.user_saved")
