"""Guessing is refused: past 10 failed attempts for an account (or 50 from an address) within the
window, every attempt is refused, the right password or secret included: 429 with Retry-After on
the token endpoint and API keys, a lockout message on the login pages."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from common.redis import get_redis
from tests.orders.api.fixtures import make_trader

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _no_counters_left():
    def clear():
        for key in get_redis().scan_iter("auth:fail:*"):
            get_redis().delete(key)
    clear()
    yield
    clear()


def token(username, password, address="10.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(TOKEN, {"username": username, "password": password}, format="json")


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(aapl):
    make_trader("carol", password="carol-pass")
    make_trader("dave", password="dave-pass")
    for _ in range(10):
        assert token("carol", "wrong").status_code == 400
    locked = token("carol", "carol-pass")
    assert locked.status_code == 429 and locked.json()["code"] == "rate_limited"
    assert 0 < int(locked["Retry-After"]) <= 900
    assert token("carol", "carol-pass", address="10.9.9.9").status_code == 429  # per account, from anywhere
    assert token("dave", "dave-pass").status_code == 200  # another account from the same address
    for key in get_redis().scan_iter("auth:fail:account:*"):  # the window ends
        get_redis().delete(key)
    assert token("carol", "carol-pass").status_code == 200


def test_a_success_clears_the_accounts_count(aapl):
    make_trader("carol", password="carol-pass")
    for _ in range(9):
        token("carol", "wrong")
    assert token("carol", "carol-pass").status_code == 200
    for _ in range(9):
        token("carol", "wrong")
    assert token("carol", "carol-pass").status_code == 200


@override_settings(AUTH_FAILURES_PER_ADDRESS=5)
def test_one_address_guessing_many_accounts_is_locked_out(aapl):
    make_trader("carol", password="carol-pass")
    for name in ("a", "b", "c", "d", "e"):
        token(name, "wrong", address="10.6.6.6")
    assert token("carol", "carol-pass", address="10.6.6.6").status_code == 429
    assert token("carol", "carol-pass", address="10.7.7.7").status_code == 200


def test_wrong_secrets_lock_the_keys_owner(aapl):
    carol = make_trader("carol")
    body = carol.client.post("/api/v1/api-keys/", {"scopes": ["read"]}, format="json").json()
    guesser = APIClient(REMOTE_ADDR="10.0.0.2")
    guesser.credentials(HTTP_APCA_API_KEY_ID=body["key_id"], HTTP_APCA_API_SECRET_KEY="guess")
    for _ in range(10):
        assert guesser.get("/api/v1/account/").status_code == 401
    owner = APIClient(REMOTE_ADDR="10.0.0.3")
    owner.credentials(HTTP_APCA_API_KEY_ID=body["key_id"], HTTP_APCA_API_SECRET_KEY=body["secret"])
    locked = owner.get("/api/v1/account/")
    assert locked.status_code == 429 and "Retry-After" in locked


@override_settings(AUTH_FAILURES_PER_ADDRESS=3)
def test_bad_tokens_lock_out_their_address(aapl):
    carol = make_trader("carol")
    for _ in range(3):
        client = APIClient(REMOTE_ADDR="10.0.0.4")
        client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
        assert client.get("/api/v1/account/").status_code == 401
    client = APIClient(REMOTE_ADDR="10.0.0.4")
    client.credentials(HTTP_AUTHORIZATION=f"Token {carol.token}")
    assert client.get("/api/v1/account/").status_code == 429


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_the_login_pages_lock_out_with_a_message(aapl, client, path):
    make_trader("carol", password="carol-pass")
    for _ in range(10):
        assert client.post(path, {"username": "carol", "password": "wrong"}).status_code == 200
    page = client.post(path, {"username": "carol", "password": "carol-pass"})
    assert page.status_code == 200 and b"Too many failed logins" in page.content
    assert "_auth_user_id" not in client.session


def test_pages_carry_a_content_security_policy(aapl, client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
