"""Settings > API keys in the browser: create (the secret shown in that answer only), list, revoke;
never another user's keys."""

import re

import pytest
from rest_framework.test import APIClient

from orders.models import ApiKey
from orders.services.api_keys import api_key_create
from tests.orders.api.fixtures import make_trader

pytestmark = pytest.mark.django_db
PAGE = "/settings/api-keys/"


def test_the_page_needs_a_login(client):
    assert client.get(PAGE).status_code == 302


def test_a_key_is_created_shown_once_listed_and_revoked(client, aapl):
    carol = make_trader("carol")
    client.force_login(carol.user)
    created = client.post(PAGE, {"label": "my bot", "scope": "trade"})
    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    html = created.content.decode()
    key_id = re.search(r'data-testid="new-key-id">([A-Z0-9]+)<', html).group(1)
    secret = re.search(r'data-testid="new-key-secret">([^<]+)<', html).group(1)
    api = APIClient()
    api.credentials(HTTP_APCA_API_KEY_ID=key_id, HTTP_APCA_API_SECRET_KEY=secret)
    assert api.get("/api/v1/account/").json()["id"] == carol.account.pk
    again = client.get(PAGE).content.decode()
    assert key_id in again and secret not in again and "read, trade" in again and "my bot" in again
    assert client.post(PAGE, {"revoke": key_id}).status_code == 302
    assert ApiKey.objects.get(key_id=key_id).revoked_at is not None
    assert api.get("/api/v1/account/").status_code == 401


def test_another_users_key_cannot_be_revoked_from_the_page(client, aapl):
    carol, dave = make_trader("carol"), make_trader("dave")
    key, _ = api_key_create(user=dave.user, scopes=["read"])
    client.force_login(carol.user)
    page = client.post(PAGE, {"revoke": key.key_id})
    assert page.status_code == 200 and b"API key not found." in page.content
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert key.key_id.encode() not in client.get(PAGE).content


def test_a_bad_form_creates_nothing(client, aapl):
    carol = make_trader("carol")
    client.force_login(carol.user)
    assert client.post(PAGE, {"label": "x" * 200, "scope": "admin"}).status_code == 200
    assert not ApiKey.objects.exists()
