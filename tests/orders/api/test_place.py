"""POST orders/: placement, idempotent retries, refusals kept as rejected, the bus."""

import json
import re
from decimal import Decimal

import pytest

from common.redis import get_redis
from marketdata.models import Instrument
from orders.bus import shard_for, stream_for_shard
from orders.models import Order
from orders.services import account_set_frozen
from tests.orders.api.fixtures import ORDERS, Unchanged, make_instrument

pytestmark = pytest.mark.django_db

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_buy_limit_is_accepted_with_the_exact_order_and_reserves_cash_with_the_fee(alice):
    response = alice.place(client_order_id="my-first")
    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get()
    assert body == {
        "id": order.pk, "client_order_id": "my-first", "symbol": "AAPL", "side": "buy", "type": "limit",
        "time_in_force": "gtc", "post_only": False, "qty": "10", "limit_price": "100.00", "stop_price": None, "min_qty": None,
        "status": "accepted", "filled_qty": "0", "avg_fill_price": None, "reject_reason": None,
        "created_at": body["created_at"], "updated_at": body["updated_at"],
    }
    assert ISO_UTC.match(body["created_at"]) and ISO_UTC.match(body["updated_at"])
    # 10 x 100.00 = 1000.00 plus the taker fee 0.0003 x 1000.00 = 0.30
    assert alice.balances() == (Decimal("100000.00"), Decimal("1000.30"))
    assert alice.client.get("/api/v1/account/").json()["reserved_cash"] == "1000.30"


def test_sell_limit_reserves_quantity_and_no_cash(alice, aapl):
    response = alice.place(side="sell", qty="40", limit_price="101.50", time_in_force="day", post_only=True)
    assert response.status_code == 201
    body = response.json()
    assert (body["side"], body["qty"], body["limit_price"], body["time_in_force"], body["post_only"]) == \
        ("sell", "40", "101.50", "day", True)
    assert alice.reserved_qty(aapl) == Decimal("40")
    assert alice.balances() == (Decimal("100000.00"), Decimal("0.00"))


def test_market_buy_reserves_at_the_collar_above_the_reference(alice):
    response = alice.place(type="market", limit_price=None, time_in_force="ioc")
    assert response.status_code == 201
    assert response.json()["limit_price"] is None
    # collar 5% over 100.00 = 105.00; 10 x 105.00 = 1050.00 + fee 0.315 rounded up = 0.32
    assert alice.balances()[1] == Decimal("1050.32")


def test_stop_limit_order_carries_both_prices(alice):
    response = alice.place(type="stop_limit", stop_price="101.00", limit_price="102.00")
    assert response.status_code == 201
    assert (response.json()["stop_price"], response.json()["limit_price"]) == ("101.00", "102.00")


def test_decimals_are_formatted_on_the_instrument_grid(alice, db):
    make_instrument("BTC", tick_size=Decimal("0.5"), lot_size=Decimal("0.02"), reference_price=Decimal("30000"))
    response = alice.place(symbol="BTC", qty="0.2", limit_price="30000")
    assert response.status_code == 201
    assert (response.json()["qty"], response.json()["limit_price"]) == ("0.20", "30000.0")


def test_integer_json_numbers_are_exact_and_accepted(alice):
    response = alice.place(qty=10, limit_price=100)
    assert response.status_code == 201
    assert (response.json()["qty"], response.json()["limit_price"]) == ("10", "100.00")


def test_retry_with_the_same_client_order_id_returns_the_first_order_and_places_nothing(alice):
    first = alice.place(client_order_id="retry-me")
    state = Unchanged(alice)
    again = alice.place(client_order_id="retry-me")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    state.check()
    assert Order.objects.filter(client_order_id="retry-me").count() == 1


def test_client_order_ids_are_per_account(alice, bob):
    assert alice.place(client_order_id="shared").status_code == 201
    response = bob.place(client_order_id="shared")
    assert response.status_code == 201
    assert Order.objects.filter(client_order_id="shared").count() == 2


def _halt(instrument: Instrument) -> None:
    Instrument.objects.filter(pk=instrument.pk).update(status=Instrument.Status.HALTED)


REFUSALS = [
    ("insufficient_buying_power", {"qty": "2000"}, None),
    ("insufficient_position", {"side": "sell", "qty": "101"}, None),
    ("price_out_of_band", {"limit_price": "120.00"}, None),
    ("price_out_of_band", {"type": "stop", "limit_price": None, "stop_price": "80.00"}, None),
    ("size_limit", {"qty": "100001", "limit_price": "100.00"}, None),
    ("size_limit", {"qty": "99000"}, lambda i, a: Instrument.objects.filter(pk=i.pk).update(
        max_order_notional=Decimal("5000000"))),
    ("instrument_halted", {}, lambda i, a: _halt(i)),
    ("account_frozen", {}, lambda i, a: account_set_frozen(account=a.account, frozen=True)),
    ("no_reference_price", {"type": "market", "limit_price": None}, lambda i, a: Instrument.objects.filter(
        pk=i.pk).update(reference_price=None, last_price=None)),
]


@pytest.mark.parametrize("code, body, setup", REFUSALS, ids=[f"{r[0]}-{i}" for i, r in enumerate(REFUSALS)])
def test_refusals_are_422_and_the_order_is_kept_rejected_with_the_reason(alice, aapl, code, body, setup):
    if setup:
        setup(aapl, alice)
    balances, reserved_qty, count = alice.balances(), alice.reserved_qty(aapl), Order.objects.count()
    response = alice.place(client_order_id=f"refused-{code}", **body)
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"code", "detail"}
    assert response.json()["code"] == code and response.json()["detail"]
    assert Order.objects.count() == count + 1
    stored = Order.objects.get(client_order_id=f"refused-{code}")
    assert (stored.status, stored.reject_reason, stored.reserved_cash) == ("rejected", code, Decimal("0"))
    assert (alice.balances(), alice.reserved_qty(aapl)) == (balances, reserved_qty)
    shown = alice.client.get(f"{ORDERS}{stored.pk}/").json()
    assert (shown["status"], shown["reject_reason"]) == ("rejected", code)
    # A retry finds the stored rejected order rather than placing a second one.
    retry = alice.place(client_order_id=f"refused-{code}", **body)
    assert (retry.status_code, retry.json()["id"]) == (200, stored.pk)


def test_the_order_reaches_the_engine_bus_after_commit(alice, django_capture_on_commit_callbacks):
    redis = get_redis()
    stream = stream_for_shard(shard_for("AAPL"))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.place()
    order_id = response.json()["id"]
    commands = [json.loads(fields[b"c"]) for _, fields in redis.xrevrange(stream, count=50)]
    assert {"kind": "new", "order_id": order_id, "symbol": "AAPL"} in commands


def test_a_refused_order_is_not_sent_to_the_engine(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = alice.place(qty="2000")
    assert response.status_code == 422
    assert callbacks == []


def test_a_client_order_id_reused_with_another_body_is_409_and_places_nothing(alice):
    first = alice.place(client_order_id="mine", qty="10")
    state = Unchanged(alice)
    for changed in ({"qty": "11"}, {"limit_price": "100.01"}, {"side": "sell"}, {"time_in_force": "day"},
                    {"post_only": True}, {"type": "market", "limit_price": None, "time_in_force": "ioc"}):
        again = alice.place(client_order_id="mine", **changed)
        assert again.status_code == 409, changed
        assert again.json() == {"code": "duplicate_client_order_id", "order_id": first.json()["id"],
                                "detail": f"client_order_id 'mine' is already used by order {first.json()['id']}, "
                                          "which differs from this request."}
    # The same body, its decimals written otherwise, is the same request.
    assert alice.place(client_order_id="mine", qty=10, limit_price="100.0").status_code == 200
    state.check()
    assert Order.objects.filter(client_order_id="mine").count() == 1


def test_a_client_order_id_reused_in_a_batch_is_409_per_item(alice):
    first = alice.place(client_order_id="b1").json()
    base = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": "1", "limit_price": "100.00", "time_in_force": "gtc"}
    response = alice.client.post("/api/v1/orders/batch/", {"orders": [
        {**base, "client_order_id": "b1"}, {**base, "client_order_id": "b2"}, {**base, "qty": "2", "client_order_id": "b2"},
        {**base, "qty": "10", "client_order_id": "b1"}]}, format="json")
    results = response.json()["results"]
    assert [r["status"] for r in results] == [409, 201, 409, 200]
    assert results[0]["errors"]["order_id"] == first["id"] and results[3]["order"]["id"] == first["id"]
    assert results[2]["errors"] == {"code": "duplicate_client_order_id", "order_id": results[1]["order"]["id"],
                                    "detail": f"client_order_id 'b2' is already used by order {results[1]['order']['id']}, "
                                              "which differs from this request."}
