"""The token lookup is cached in Redis; a deleted token, a deactivated user and a frozen account
still take effect on the very next request."""

import pytest
from rest_framework.authtoken.models import Token

from common.redis import get_redis
from orders.api.authentication import token_cache_key
from orders.models import Order
from orders.services import account_set_frozen

pytestmark = pytest.mark.django_db


def test_the_lookup_is_cached_and_a_deleted_token_is_refused_at_once(alice):
    assert alice.client.get("/api/v1/account/").status_code == 200
    assert get_redis().exists(token_cache_key(alice.token))
    Token.objects.filter(key=alice.token).delete()  # a queryset delete still sends post_delete
    assert not get_redis().exists(token_cache_key(alice.token))
    assert alice.client.get("/api/v1/account/").status_code == 401


def test_a_deactivated_user_is_refused_at_once(alice):
    assert alice.place().status_code == 201
    alice.user.is_active = False
    alice.user.save()
    assert alice.place().status_code == 401
    assert alice.client.get("/api/v1/account/").status_code == 401


def test_a_frozen_account_is_refused_at_once_though_the_token_is_cached(alice):
    assert alice.place().status_code == 201
    account_set_frozen(account=alice.account, frozen=True)
    response = alice.place()
    assert (response.status_code, response.json()["code"]) == (422, "account_frozen")
    assert Order.objects.filter(status="rejected", reject_reason="account_frozen").count() == 1


def test_without_redis_the_lookup_goes_to_the_database(alice, settings):
    get_redis.cache_clear()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        assert alice.client.get("/api/v1/account/").status_code == 200
    finally:
        get_redis.cache_clear()
