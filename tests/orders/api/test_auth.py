"""Token auth: obtain a token, and 401 (with WWW-Authenticate) for anonymous private calls."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.orders.api.fixtures import make_trader

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
PRIVATE = [
    ("get", "/api/v1/account/"),
    ("get", "/api/v1/positions/"),
    ("get", "/api/v1/orders/"),
    ("post", "/api/v1/orders/"),
    ("delete", "/api/v1/orders/"),
    ("post", "/api/v1/orders/batch/"),
    ("get", "/api/v1/orders/1/"),
    ("patch", "/api/v1/orders/1/"),
    ("delete", "/api/v1/orders/1/"),
    ("get", "/api/v1/orders/by-client-id/abc/"),
    ("get", "/api/v1/trades/"),
]


def test_username_and_password_get_the_users_token(aapl):
    carol = make_trader("carol", password="carol-pass")
    response = APIClient().post(TOKEN, {"username": "carol", "password": "carol-pass"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=carol.user).key}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/account/").json()["id"] == carol.account.pk


@pytest.mark.parametrize("body", [
    {"username": "carol", "password": "wrong"},
    {"username": "nobody", "password": "carol-pass"},
    {"username": "carol"},
    {},
    {"username": "\ud800", "password": "\udfff"},
    {"username": ["carol"], "password": {"a": 1}},
])
def test_bad_credentials_are_400(aapl, body):
    make_trader("carol", password="carol-pass")
    response = APIClient().post(TOKEN, body, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_a_malformed_token_request_is_400():
    response = APIClient().post(TOKEN, b"{nope", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("method, path", PRIVATE)
def test_anonymous_private_calls_are_401_with_www_authenticate(method, path):
    response = getattr(APIClient(), method)(path, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


@pytest.mark.parametrize("header", ["Token nope", "Token", "Token a b", "Bearer abc", "Token \u00e9\u00e9"])
def test_a_bad_token_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/account/")
    assert response.status_code == 401


def test_public_reads_need_no_credentials(aapl):
    client = APIClient()
    assert client.get("/api/v1/instruments/").status_code == 200
    assert client.get("/api/v1/marketdata/AAPL/book/").status_code == 200
    assert client.get("/api/v1/marketdata/AAPL/trades/").status_code == 200
    assert client.get("/api/v1/marketdata/quotes/?symbols=AAPL").status_code == 200


def test_the_browser_session_works_and_its_writes_need_csrf(alice):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="alice")
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/account/").status_code == 200
    refused = browser.post("/api/v1/orders/", {}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
