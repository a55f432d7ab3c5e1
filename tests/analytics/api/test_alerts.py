"""Alerts over REST: create, list, read, change and delete my own; another account's is 404; bad
input of every kind is a clear 400 and changes nothing; at most MAX_ACTIVE_ALERTS active."""

import pytest

from analytics.models import Alert
from analytics.services.alerts import MAX_ACTIVE_ALERTS, MAX_WINDOW_MINUTES

pytestmark = pytest.mark.django_db

ALERTS = "/api/v1/alerts/"


def test_crud_of_my_alerts(alice):
    created = alice.client.post(ALERTS, {"kind": "price_above", "symbol": "AAPL", "threshold": "101.5",
                                         "email": True}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("kind", "symbol", "threshold", "window_minutes", "email", "status")} == {
        "kind": "price_above", "symbol": "AAPL", "threshold": "101.5", "window_minutes": None, "email": True,
        "status": "active"}
    move = alice.client.post(ALERTS, {"kind": "percent_move", "symbol": "AAPL", "threshold": "2"}, format="json")
    assert move.json()["window_minutes"] == 5  # the default window
    fills = alice.client.post(ALERTS, {"kind": "fill"}, format="json")
    assert fills.status_code == 201 and fills.json()["symbol"] is None
    listed = alice.client.get(ALERTS).json()
    assert [a["id"] for a in listed["results"]] == [fills.json()["id"], move.json()["id"], body["id"]]
    one = f"{ALERTS}{body['id']}/"
    assert alice.client.get(one).json()["threshold"] == "101.5"
    changed = alice.client.patch(one, {"threshold": "102", "email": False}, format="json")
    assert changed.status_code == 200 and (changed.json()["threshold"], changed.json()["email"]) == ("102", False)
    assert alice.client.delete(one).status_code == 204
    assert alice.client.get(one).status_code == 404
    assert alice.client.get(f"{ALERTS}?status=active").json()["count"] == 2


def test_another_accounts_alert_is_not_found(alice, bob):
    mine = alice.client.post(ALERTS, {"kind": "fill"}, format="json").json()
    one = f"{ALERTS}{mine['id']}/"
    assert bob.client.get(one).status_code == 404
    assert bob.client.patch(one, {"email": True}, format="json").status_code == 404
    assert bob.client.delete(one).status_code == 404
    assert bob.client.get(ALERTS).json()["count"] == 0
    assert bob.client.get("/api/v1/alerts/triggers/").json()["count"] == 0
    assert Alert.objects.filter(pk=mine["id"]).exists()
    assert alice.client.get(f"{ALERTS}nonsense/").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "price_above", "symbol": "NOPE", "threshold": "1"}, "symbol"),
    ({"kind": "price_above", "symbol": "bad symbol!", "threshold": "1"}, "symbol"),
    ({"kind": "price_above", "threshold": "1"}, "symbol"),
    ({"kind": "price_above", "symbol": "AAPL"}, "threshold"),
    ({"kind": "price_above", "symbol": "AAPL", "threshold": "-5"}, "threshold"),
    ({"kind": "price_below", "symbol": "AAPL", "threshold": "0"}, "threshold"),
    ({"kind": "price_below", "symbol": "AAPL", "threshold": 101.5}, "threshold"),  # a JSON float
    ({"kind": "price_below", "symbol": "AAPL", "threshold": "NaN"}, "threshold"),
    ({"kind": "price_below", "symbol": "AAPL", "threshold": "1e999"}, "threshold"),
    ({"kind": "price_below", "symbol": "AAPL", "threshold": "1.123456789"}, "threshold"),
    ({"kind": "percent_move", "symbol": "AAPL", "threshold": "5000"}, "threshold"),
    ({"kind": "percent_move", "symbol": "AAPL", "threshold": "2", "window_minutes": 0}, "window_minutes"),
    ({"kind": "percent_move", "symbol": "AAPL", "threshold": "2", "window_minutes": -3}, "window_minutes"),
    ({"kind": "volume_spike", "symbol": "AAPL", "threshold": "3", "window_minutes": MAX_WINDOW_MINUTES + 1},
     "window_minutes"),
    ({"kind": "volume_spike", "symbol": "AAPL", "threshold": "3", "window_minutes": 10**9}, "window_minutes"),
    ({"kind": "volume_spike", "symbol": "AAPL", "threshold": "3", "window_minutes": "ten"}, "window_minutes"),
    ({"kind": "price_above", "symbol": "AAPL", "threshold": "1", "window_minutes": 5}, "window_minutes"),
    ({"kind": "fill", "threshold": "1"}, "threshold"),
    ({"kind": "fill", "symbol": "NOPE"}, "symbol"),
    ({"kind": "fill", "email": "yes"}, "email"),
    ({"kind": "sometimes"}, "kind"),
    ({}, "kind"),
    ({"kind": "fill", "extra": 1}, "extra"),
])
def test_bad_alerts_are_400_and_change_nothing(alice, body, field):
    response = alice.client.post(ALERTS, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() or "non_field_errors" in response.json(), response.json()
    assert Alert.objects.count() == 0


@pytest.mark.parametrize("raw", ["[1, 2]", "not json", '"text"', "{"])
def test_malformed_bodies_are_400(alice, raw):
    response = alice.client.generic("POST", ALERTS, raw, content_type="application/json")
    assert response.status_code == 400 and Alert.objects.count() == 0


def test_bad_changes_are_400(alice):
    alert = alice.client.post(ALERTS, {"kind": "percent_move", "symbol": "AAPL", "threshold": "2"}, format="json").json()
    one = f"{ALERTS}{alert['id']}/"
    for body in ({"threshold": "-1"}, {"window_minutes": 100000}, {"kind": "fill"}, {"threshold": []}):
        assert alice.client.patch(one, body, format="json").status_code == 400, body
    assert alice.client.get(one).json()["threshold"] == "2"


def test_too_many_alerts_is_a_clear_400(alice):
    for i in range(MAX_ACTIVE_ALERTS):
        assert alice.client.post(ALERTS, {"kind": "price_above", "symbol": "AAPL", "threshold": str(100 + i)},
                                 format="json").status_code == 201
    refused = alice.client.post(ALERTS, {"kind": "fill"}, format="json")
    assert refused.status_code == 400
    assert "At most 50 active alerts" in refused.json()["non_field_errors"][0]
    assert Alert.objects.count() == MAX_ACTIVE_ALERTS


def test_anonymous_has_no_alerts(anon, aapl):
    assert anon.get(ALERTS).status_code in (401, 403)
    assert anon.post(ALERTS, {"kind": "fill"}, format="json").status_code in (401, 403)


def test_analytics_of_a_symbol(anon, aapl):
    answer = anon.get("/api/v1/marketdata/AAPL/analytics/")
    assert answer.status_code == 200 and answer.json()["symbol"] == "AAPL" and answer.json()["history"] == []
    assert anon.get("/api/v1/marketdata/NOPE/analytics/").status_code == 404
    assert anon.get("/api/v1/marketdata/AAPL/analytics/?limit=0").status_code == 400
    assert anon.get("/api/v1/marketdata/AAPL/analytics/?limit=99999").status_code == 400
    assert anon.get("/api/v1/marketdata/AAPL/analytics/?limit=x").status_code == 400
