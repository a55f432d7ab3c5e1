"""POST orders/ with bad input: always 400 naming the field (or {detail} for a bad body),
never a 500, and nothing placed, reserved or stored."""

import pytest

from tests.orders.api.fixtures import ORDERS, Unchanged

pytestmark = pytest.mark.django_db

VALID = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": "10", "limit_price": "100.00",
         "time_in_force": "gtc"}
MISSING = object()


def body_with(**changes) -> dict:
    body = dict(VALID)
    for field, value in changes.items():
        if value is MISSING:
            body.pop(field)
        else:
            body[field] = value
    return body


FIELD_CASES = [
    # missing required fields
    *[(body_with(**{f: MISSING}), f) for f in ("symbol", "side", "type", "qty", "time_in_force")],
    # unknown fields are named, never ignored
    (body_with(colour="red"), "colour"),
    (body_with(limitprice="100.00"), "limitprice"),
    (body_with(**{"\ud800": 1}), "\\ud800"),
    # symbol
    (body_with(symbol=123), "symbol"),
    (body_with(symbol=None), "symbol"),
    (body_with(symbol=""), "symbol"),
    (body_with(symbol=["AAPL"]), "symbol"),
    (body_with(symbol="A" * 17), "symbol"),
    (body_with(symbol="AA PL"), "symbol"),
    (body_with(symbol="AAPL\x00"), "symbol"),
    (body_with(symbol="\ud800"), "symbol"),
    (body_with(symbol="ÄPPL"), "symbol"),
    (body_with(symbol="ZZZZ"), "symbol"),  # unknown: the service says so
    (body_with(symbol="aapl"), "symbol"),
    # choices
    (body_with(side="BUY"), "side"),
    (body_with(side="hold"), "side"),
    (body_with(side=1), "side"),
    (body_with(side=True), "side"),
    (body_with(side=None), "side"),
    (body_with(type="LIMIT"), "type"),
    (body_with(type="iceberg"), "type"),
    (body_with(type=[]), "type"),
    (body_with(time_in_force="gtd"), "time_in_force"),
    (body_with(time_in_force=0), "time_in_force"),
    # qty: types, signs, sizes, precision, the lot
    (body_with(qty=10.5), "qty"),
    (body_with(qty=10.0), "qty"),
    (body_with(qty=True), "qty"),
    (body_with(qty=None), "qty"),
    (body_with(qty=[]), "qty"),
    (body_with(qty={}), "qty"),
    (body_with(qty=""), "qty"),
    (body_with(qty=" 10"), "qty"),
    (body_with(qty="10 "), "qty"),
    (body_with(qty="ten"), "qty"),
    (body_with(qty="1_0"), "qty"),
    (body_with(qty="١٠"), "qty"),
    (body_with(qty="0x10"), "qty"),
    (body_with(qty="NaN"), "qty"),
    (body_with(qty="nan"), "qty"),
    (body_with(qty="sNaN"), "qty"),
    (body_with(qty="Infinity"), "qty"),
    (body_with(qty="-Infinity"), "qty"),
    (body_with(qty="inf"), "qty"),
    (body_with(qty="0"), "qty"),
    (body_with(qty="-0"), "qty"),
    (body_with(qty="0.00"), "qty"),
    (body_with(qty="-10"), "qty"),
    (body_with(qty=-10), "qty"),
    (body_with(qty=0), "qty"),
    (body_with(qty="1000000000000"), "qty"),
    (body_with(qty="1e12"), "qty"),
    (body_with(qty="1E13"), "qty"),
    (body_with(qty="1e9999"), "qty"),
    (body_with(qty="1e99999999"), "qty"),
    (body_with(qty="9" * 41), "qty"),
    (body_with(qty=10**30), "qty"),
    (body_with(qty="1.000000001"), "qty"),
    (body_with(qty="0.000000001"), "qty"),
    (body_with(qty="1e-9"), "qty"),
    (body_with(qty="10.5"), "qty"),  # off the lot of 1: the service says so
    (body_with(qty="0.5"), "qty"),
    # prices: the tick, signs, the type's needs
    (body_with(limit_price="100.005"), "limit_price"),
    (body_with(limit_price="100.001"), "limit_price"),
    (body_with(limit_price="-100.00"), "limit_price"),
    (body_with(limit_price="0"), "limit_price"),
    (body_with(limit_price=100.5), "limit_price"),
    (body_with(limit_price="1e-10"), "limit_price"),
    (body_with(limit_price=MISSING), "limit_price"),
    (body_with(limit_price=None), "limit_price"),
    (body_with(type="market"), "limit_price"),
    (body_with(type="stop", limit_price=MISSING), "stop_price"),
    (body_with(type="stop_limit"), "stop_price"),
    (body_with(stop_price="99.00"), "stop_price"),
    (body_with(type="stop_limit", stop_price="99.001"), "stop_price"),
    # post_only: a real boolean, and only on resting limit orders
    (body_with(post_only="true"), "post_only"),
    (body_with(post_only=1), "post_only"),
    (body_with(post_only="yes"), "post_only"),
    (body_with(post_only=None), "post_only"),
    (body_with(post_only=True, time_in_force="ioc"), "post_only"),
    (body_with(post_only=True, type="market", limit_price=MISSING), "post_only"),
    # client_order_id: 1 to 64 printable ASCII characters
    (body_with(client_order_id=""), "client_order_id"),
    (body_with(client_order_id="x" * 65), "client_order_id"),
    (body_with(client_order_id="tab\there"), "client_order_id"),
    (body_with(client_order_id="line\n"), "client_order_id"),
    (body_with(client_order_id="café"), "client_order_id"),
    (body_with(client_order_id="\ud800"), "client_order_id"),
    (body_with(client_order_id=123), "client_order_id"),
    (body_with(client_order_id=True), "client_order_id"),
    (body_with(client_order_id=["a"]), "client_order_id"),
]


@pytest.mark.parametrize("body, field", FIELD_CASES, ids=[f"{i}-{c[1]}" for i, c in enumerate(FIELD_CASES)])
def test_bad_fields_are_400_naming_the_field_and_change_nothing(alice, bob, body, field):
    state = Unchanged(alice, bob)
    response = alice.client.post(ORDERS, body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert isinstance(errors[field], list) and all(isinstance(m, str) and m for m in errors[field])
    state.check()


BODY_CASES = [
    ([VALID], "non_field_errors"),
    ("a string", "non_field_errors"),
    (42, "non_field_errors"),
    ({}, "symbol"),
]


@pytest.mark.parametrize("body, field", BODY_CASES)
def test_a_body_that_is_not_an_order_object_is_400(alice, body, field):
    state = Unchanged(alice)
    response = alice.client.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    state.check()


@pytest.mark.parametrize("raw", [b"null", b"", b"{}"])
def test_a_null_or_empty_body_is_400(alice, raw):
    state = Unchanged(alice)
    response = alice.client.post(ORDERS, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()
    state.check()


MALFORMED = [
    b'{"symbol": ',
    b"{'symbol': 'AAPL'}",
    b"NaN",
    b'{"symbol": "AAPL", "qty": NaN}',
    b'{"qty": Infinity}',
    b"\xff\xfe\x00",
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b'{"qty": 1' + b"0" * 5000 + b"}",
]


@pytest.mark.parametrize("raw", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_json_is_400_with_detail(alice, raw):
    state = Unchanged(alice)
    response = alice.client.post(ORDERS, raw, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    state.check()


def test_a_body_that_is_not_json_is_415(alice):
    state = Unchanged(alice)
    response = alice.client.post(ORDERS, "symbol=AAPL&side=buy", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "detail" in response.json()
    state.check()


def test_several_problems_are_reported_together(alice):
    response = alice.client.post(ORDERS, body_with(side="up", qty="-1", extra=1), format="json")
    assert response.status_code == 400
    assert {"side", "qty", "extra"} <= set(response.json())


def test_an_echoed_odd_character_still_makes_valid_json(alice):
    response = alice.client.post(ORDERS, body_with(**{"\ud800x": 1, "ünknown": 2}), format="json")
    assert response.status_code == 400
    assert {"\\ud800x", "ünknown"} <= set(response.json())
