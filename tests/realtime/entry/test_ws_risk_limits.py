"""Per-account risk limits refuse over the WebSocket with the same 422 codes as REST, the order
kept rejected; a tripped account is refused as account_frozen with why."""

from decimal import Decimal as D

import pytest
from channels.db import database_sync_to_async
from rest_framework.authtoken.models import Token

from orders.models import Order, RiskLimit
from orders.services.trip import account_trip
from tests.factories import make_instrument, make_trader
from tests.realtime.ws_support import connect, receive

pytestmark = pytest.mark.django_db(transaction=True)

BUY = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": "10", "limit_price": "100.00", "time_in_force": "gtc"}


@pytest.fixture
def trader():
    aapl = make_instrument("AAPL")
    account = make_trader("alice", cash="100000.00", positions={aapl: "50"})
    return account, Token.objects.create(user=account.user).key


async def ask(ws, message: dict) -> dict:
    await ws.send_json_to(message)
    return await receive(ws, timeout=10)


@pytest.mark.parametrize(("limits", "order", "code"), [
    ({"max_position_qty": D("55")}, {"qty": "6"}, "max_position_exceeded"),
    ({"max_gross_exposure": D("5500.00")}, {"qty": "6"}, "max_gross_exposure_exceeded"),
    ({"max_open_notional": D("500.00")}, {"side": "sell", "qty": "6"}, "max_open_notional_exceeded"),
    ({"max_daily_loss": D("100.00")}, {"qty": "1"}, None),
])
async def test_limits_refuse_over_the_websocket_with_their_codes(trader, limits, order, code):
    account, token = trader
    await database_sync_to_async(RiskLimit.objects.create)(account=account, **limits)
    ws = await connect(f"/ws/v1/?token={token}")
    answer = await ask(ws, {"action": "place", "id": "r1", "order": {**BUY, **order}})
    if code is None:  # within every limit
        assert (answer["type"], answer["status"]) == ("ack", 201)
    else:
        assert (answer["type"], answer["id"], answer["status"], answer["code"]) == ("error", "r1", 422, code)
        rejected = await database_sync_to_async(Order.objects.get)(account=account)
        assert (rejected.status, rejected.reject_reason) == ("rejected", code)
    await ws.disconnect()


async def test_the_order_rate_limit_over_the_websocket(trader):
    account, token = trader
    await database_sync_to_async(RiskLimit.objects.create)(account=account, max_orders_per_second=2)
    ws = await connect(f"/ws/v1/?token={token}")
    answers = [await ask(ws, {"action": "place", "id": f"r{i}", "order": {**BUY, "qty": "1"}}) for i in range(6)]
    codes = [a.get("code") if a["type"] == "error" else "ack" for a in answers]
    # six orders, two a second (or, across a second's edge, at most four accepted)
    assert 2 <= codes.count("ack") <= 4 and set(codes) <= {"ack", "order_rate_exceeded"}, codes
    await ws.disconnect()


async def test_a_tripped_account_is_refused_as_frozen_with_the_reason(trader):
    account, token = trader
    await database_sync_to_async(account_trip)(account_id=account.pk, code="daily_loss_limit",
                                               detail="today's P&L -60.30 reached the daily loss limit of 50.00")
    ws = await connect(f"/ws/v1/?token={token}")
    answer = await ask(ws, {"action": "place", "id": "f", "order": BUY})
    assert (answer["type"], answer["status"], answer["code"]) == ("error", 422, "account_frozen")
    assert answer["message"] == "The account is frozen: today's P&L -60.30 reached the daily loss limit of 50.00"
    await ws.disconnect()
