"""API keys over REST: created by a token or session (secret shown once, kept hashed), accepted on
every REST path through the two headers, read keys refused writes (403), revoked at once, another
user's keys out of reach, last use kept; `manage.py create_api_key` prints the two lines."""

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from orders.models import ApiKey, Order
from tests.orders.api.fixtures import make_trader

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/api-keys/"
ORDER = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": "1", "limit_price": "100.00", "time_in_force": "gtc"}


def key_client(key_id: str, secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_APCA_API_KEY_ID=key_id, HTTP_APCA_API_SECRET_KEY=secret)
    return client


def create(trader, scopes=("read", "trade"), label="bot") -> dict:
    response = trader.client.post(KEYS, {"label": label, "scopes": list(scopes)}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_key_is_shown_once_and_kept_only_as_its_hash(aapl):
    carol = make_trader("carol")
    body = create(carol)
    assert set(body) == {"key_id", "secret", "label", "scopes", "created_at", "last_used_at", "revoked_at"}
    assert body["key_id"].startswith("PK") and len(body["key_id"]) == 20 and body["scopes"] == ["read", "trade"]
    stored = ApiKey.objects.get(key_id=body["key_id"])
    assert stored.secret_hash == hashlib.sha256(body["secret"].encode()).hexdigest()
    with connection.cursor() as cursor:  # the secret itself is in no column
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")
        assert all(body["secret"] not in str(value) for row in cursor.fetchall() for value in row)
    listed = carol.client.get(KEYS).json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    assert listed["results"][0]["key_id"] == body["key_id"]


def test_a_key_works_on_every_path_and_a_read_key_may_not_trade(aapl):
    carol = make_trader("carol")
    trade, read = create(carol), create(carol, scopes=["read"])
    trader_client, reader = key_client(trade["key_id"], trade["secret"]), key_client(read["key_id"], read["secret"])
    assert trader_client.get("/api/v1/account/").json()["id"] == carol.account.pk
    assert reader.get("/api/v1/orders/").status_code == 200
    placed = trader_client.post("/api/v1/orders/", ORDER, format="json")
    assert placed.status_code == 201
    order_id = placed.json()["id"]
    for method, path, body in [("post", "/api/v1/orders/", ORDER), ("post", "/api/v1/orders/batch/", {"orders": [ORDER]}),
                               ("patch", f"/api/v1/orders/{order_id}/", {"qty": "2"}),
                               ("delete", f"/api/v1/orders/{order_id}/", None), ("delete", "/api/v1/orders/", None)]:
        response = getattr(reader, method)(path, body, format="json")
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "forbidden"
    assert Order.objects.count() == 1 and Order.objects.get().status == "accepted"
    assert ApiKey.objects.get(key_id=trade["key_id"]).last_used_at is not None


def test_revoking_stops_the_key_at_once(aapl):
    carol = make_trader("carol")
    body = create(carol)
    client = key_client(body["key_id"], body["secret"])
    assert client.get("/api/v1/account/").status_code == 200  # now cached
    revoked = carol.client.delete(f"{KEYS}{body['key_id']}/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/account/").status_code == 401
    assert carol.client.get(KEYS).json()["results"][0]["revoked_at"] is not None


def test_a_deactivated_user_s_key_stops_at_once(aapl):
    carol = make_trader("carol")
    body = create(carol)
    client = key_client(body["key_id"], body["secret"])
    assert client.get("/api/v1/account/").status_code == 200
    carol.user.is_active = False
    carol.user.save()
    assert client.get("/api/v1/account/").status_code == 401


def test_another_users_key_is_out_of_reach(aapl):
    carol, dave = make_trader("carol"), make_trader("dave")
    body = create(carol)
    assert dave.client.delete(f"{KEYS}{body['key_id']}/").status_code == 404
    assert dave.client.get(KEYS).json()["count"] == 0
    assert ApiKey.objects.get(key_id=body["key_id"]).revoked_at is None


@pytest.mark.parametrize("headers", [
    {"HTTP_APCA_API_KEY_ID": "PKNOSUCHKEY000000000", "HTTP_APCA_API_SECRET_KEY": "x"},
    {"HTTP_APCA_API_KEY_ID": "PKNOSUCHKEY000000000"},
    {"HTTP_APCA_API_SECRET_KEY": "x"},
    {"HTTP_APCA_API_KEY_ID": "é" * 300, "HTTP_APCA_API_SECRET_KEY": "\x00"},
])
def test_wrong_or_partial_keys_are_401(aapl, headers):
    client = APIClient()
    client.credentials(**headers)
    assert client.get("/api/v1/account/").status_code == 401


def test_a_wrong_secret_for_a_real_key_is_401(aapl):
    carol = make_trader("carol")
    body = create(carol)
    assert key_client(body["key_id"], body["secret"] + "x").get("/api/v1/account/").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"scopes": ["trade"]}, "scopes"), ({"scopes": ["read", "admin"]}, "scopes"), ({"scopes": []}, "scopes"),
    ({"scopes": "read"}, "scopes"), ({"scopes": [1]}, "scopes"), ({}, "scopes"),
    ({"scopes": ["read"], "label": "x" * 101}, "label"), ({"scopes": ["read"], "label": 5}, "label"),
    ({"scopes": ["read"], "extra": 1}, "extra"),
])
def test_bad_key_requests_are_400_and_create_nothing(aapl, body, field):
    carol = make_trader("carol")
    response = carol.client.post(KEYS, body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not ApiKey.objects.exists()


def test_keys_are_managed_with_a_token_or_session_not_with_a_key(aapl):
    carol = make_trader("carol")
    body = create(carol)
    client = key_client(body["key_id"], body["secret"])
    assert client.post(KEYS, {"scopes": ["read"]}, format="json").status_code == 401
    assert client.delete(f"{KEYS}{body['key_id']}/").status_code == 401
    assert APIClient().get(KEYS).status_code == 401


def test_at_most_twenty_active_keys(aapl):
    carol = make_trader("carol")
    for _ in range(20):
        create(carol, scopes=["read"])
    refused = carol.client.post(KEYS, {"scopes": ["read"]}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (422, "too_many_api_keys")


def test_create_api_key_prints_the_two_lines_of_a_working_key(aapl):
    carol = make_trader("carol")
    out = io.StringIO()
    call_command("create_api_key", "carol", "--scope", "read", "--label", "cli", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["APCA-API-KEY-ID", "APCA-API-SECRET-KEY"]
    key_id, secret = (line.split("=", 1)[1] for line in lines)
    client = key_client(key_id, secret)
    assert client.get("/api/v1/account/").json()["id"] == carol.account.pk
    assert client.post("/api/v1/orders/", ORDER, format="json").status_code == 403
    assert ApiKey.objects.get(key_id=key_id).label == "cli"


def test_create_api_key_refuses_an_unknown_user(aapl):
    with pytest.raises(CommandError, match="No user 'ghost'"):
        call_command("create_api_key", "ghost", stdout=io.StringIO())
