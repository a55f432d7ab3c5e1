"""Admission control: while the engine's oldest waiting command is older than the bound, new orders
are refused 429 engine_busy with Retry-After (one request, a batch, over REST), nothing is stored,
and cancels still go through; once the engine catches up, orders are taken again."""

import time
from decimal import Decimal as D

import pytest
from django.test import override_settings

from common.errors import ServiceError
from common.redis import get_redis
from orders.bus import stream_for_shard
from orders.models import Order
from orders.services import order_cancel, order_place
from orders.services.admission import admission_reset
from tests.orders.api.fixtures import make_trader

pytestmark = pytest.mark.django_db
ORDER = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": "1", "limit_price": "100.00", "time_in_force": "gtc"}


@pytest.fixture
def waiting():
    """Puts a command that arrived `age` seconds ago at the head of the engine's stream."""
    stream = stream_for_shard(0)
    redis = get_redis()

    def put(age: float) -> None:
        redis.delete(stream)
        redis.xadd(stream, {b"c": b'{"kind":"halt","symbol":"AAPL"}'}, id=f"{int((time.time() - age) * 1000)}-0")
        admission_reset()

    yield put
    redis.delete(stream)
    admission_reset()


@override_settings(ENGINE_MAX_LAG_MS=500)
def test_orders_are_refused_while_the_engine_is_behind(aapl, waiting):
    carol = make_trader("carol")
    waiting(3.0)
    with pytest.raises(ServiceError) as refused:
        order_place(account=carol.account, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D("100"))
    # Retry-After: the seconds the lag passes the bound by, rounded up (3 s - 0.5 s, and time goes on).
    assert (refused.value.code, refused.value.kind) == ("engine_busy", "throttled")
    assert 3 <= refused.value.retry_after <= 5
    response = carol.client.post("/api/v1/orders/", ORDER, format="json")
    assert (response.status_code, response.json()["code"]) == (429, "engine_busy")
    assert 3 <= int(response["Retry-After"]) <= 5
    batch = carol.client.post("/api/v1/orders/batch/", {"orders": [ORDER, ORDER]}, format="json")
    assert batch.status_code == 429
    assert not Order.objects.exists()


@override_settings(ENGINE_MAX_LAG_MS=500)
def test_cancels_go_through_and_orders_resume_once_the_engine_catches_up(aapl, waiting):
    carol = make_trader("carol")
    waiting(0.1)  # within the bound
    order, created = order_place(account=carol.account, symbol="AAPL", side="buy", type="limit", qty=D("1"),
                                 limit_price=D("100"))
    assert created
    waiting(5.0)
    assert order_cancel(account=carol.account, order_id=order.pk).status == "pending_cancel"
    get_redis().delete(stream_for_shard(0))  # the engine took everything
    admission_reset()
    assert carol.client.post("/api/v1/orders/", ORDER, format="json").status_code == 201


def test_the_bound_of_zero_turns_admission_off(aapl, waiting, settings):
    settings.ENGINE_MAX_LAG_MS = 0
    carol = make_trader("carol")
    waiting(60.0)
    assert carol.client.post("/api/v1/orders/", ORDER, format="json").status_code == 201
