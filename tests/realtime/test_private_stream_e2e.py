"""The private stream against a running server (Daphne), the real engine and a real WebSocket client:
`seq` exact and gap-free per account across orders, fills and cancels; a socket dropped mid-stream
resumes with `since` and misses and repeats nothing; REST `orders/updates/` serves the same messages;
`account` and `position` pushes equal REST; bad `since` values get clear errors; no account sees
another's messages."""

import asyncio
import json
import urllib.error
import urllib.request
from datetime import timedelta
from decimal import Decimal as D

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect as ws_connect

from orders.models import Account, Order, PrivateEvent
from orders.services import order_cancel, order_place
from orders.tasks import prune_private_events
from tests.factories import make_instrument, make_trader
from tests.processes import free_port, http_ok, running, venv_bin, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db):
    port = free_port()
    command = [venv_bin("daphne"), "-b", "127.0.0.1", "-p", str(port), "tradeapp.asgi:application"]
    with running(command, log_name="ws-private") as process:
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}/healthz") or process.poll() is not None, 30, "web server")
        assert process.poll() is None, process.log_path.read_text()[-2000:]
        yield port


@pytest.fixture
def venue(engine):
    aapl = make_instrument("AAPL")
    buyer = make_trader("buyer", cash="1000000.00")
    seller = make_trader("seller", cash="1000.00", positions={aapl: "10000"})
    outsider = make_trader("outsider", cash="1000.00")
    tokens = {a.user.username: Token.objects.create(user=a.user).key for a in (buyer, seller, outsider)}
    return buyer, seller, outsider, tokens


async def recv(ws, timeout: float = 10) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_type(ws, kinds, timeout: float = 10) -> dict:
    while True:
        message = await recv(ws, timeout)
        if message["type"] in kinds:
            return message


def rest(port: int, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/{path}", headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def stored(account: Account) -> list[dict]:
    return [json.loads(body) for body in PrivateEvent.objects.filter(account=account).order_by("seq")
            .values_list("body", flat=True)]


def event_seq(account: Account) -> int:
    return Account.objects.get(pk=account.pk).event_seq


def settled() -> bool:
    return not Order.objects.filter(status__in=("accepted", "pending_cancel")).exists()


async def wait_settled():
    for _ in range(600):
        if await database_sync_to_async(settled)():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("orders never settled")


async def private_until(ws, seq: int, timeout: float = 15) -> list[dict]:
    """Private messages until the one with `seq`."""
    out = []
    while not out or out[-1]["seq"] < seq:
        out.append(await recv_type(ws, ("order_update", "account", "position"), timeout))
    return out


async def trade(buyer, seller, n: int, offset: int = 0) -> None:
    """n orders alternating sides around 100.00 (about half cross), and a cancel every 7th."""
    place = database_sync_to_async(order_place)
    placed = []
    for i in range(offset, offset + n):
        side = "buy" if i % 2 else "sell"
        order, _ = await place(account=buyer if side == "buy" else seller, symbol="AAPL", side=side, type="limit",
                               qty=D(1 + i % 4), limit_price=D(100) + D(i % 5 - 2) / 10)
        placed.append(order)
        if i % 7 == 6:
            try:
                await database_sync_to_async(order_cancel)(account=placed[-3].account, order_id=placed[-3].pk)
            except Exception:
                pass  # already filled


async def test_seq_is_gap_free_and_a_dropped_socket_resumes_without_a_miss_or_a_repeat(server, venue):
    port = server
    buyer, seller, outsider, tokens = venue
    url = f"ws://127.0.0.1:{port}/ws/v1/"
    async with ws_connect(f"{url}?token={tokens['seller']}") as seller_ws, \
            ws_connect(f"{url}?token={tokens['outsider']}") as outsider_ws:
        for ws in (seller_ws, outsider_ws):
            await ws.send(json.dumps({"action": "subscribe", "channels": ["orders"]}))
            assert (await recv_type(ws, ("subscribed",)))["seq"] == 0
        received = []
        first = await ws_connect(f"{url}?token={tokens['buyer']}")
        await first.send(json.dumps({"action": "subscribe", "channels": ["orders"]}))
        assert await recv_type(first, ("subscribed",)) == {"type": "subscribed", "channels": ["orders"], "symbols": [],
                                                          "seq": 0}
        await trade(buyer, seller, 30)
        await wait_settled()
        received += await private_until(first, 5)
        await first.close()  # dropped mid-stream: what is still in flight is lost with it

        # While the buyer is away the venue goes on.
        await trade(buyer, seller, 30, offset=30)
        await wait_settled()
        last = await database_sync_to_async(event_seq)(buyer)
        async with ws_connect(f"{url}?token={tokens['buyer']}") as second:
            await second.send(json.dumps({"action": "subscribe", "channels": ["orders"], "since": received[-1]["seq"]}))
            assert (await recv_type(second, ("subscribed",)))["seq"] == received[-1]["seq"]
            received += await private_until(second, last)
            # Live after the replay, without a seam.
            await trade(buyer, seller, 10, offset=60)
            await wait_settled()
            last = await database_sync_to_async(event_seq)(buyer)
            received += await private_until(second, last)

        # Exactly 1..last, once each, and exactly what was stored.
        assert [m["seq"] for m in received] == list(range(1, last + 1))
        assert received == await database_sync_to_async(stored)(buyer)
        kinds = {m["type"] for m in received}
        events = {m["event"] for m in received if m["type"] == "order_update"}
        assert kinds == {"order_update", "account", "position"} and {"new", "fill", "canceled"} <= events
        assert all(m["order"]["symbol"] == "AAPL" for m in received if m["type"] == "order_update")
        buyer_orders = set(await database_sync_to_async(
            lambda: list(Order.objects.filter(account=buyer).values_list("pk", flat=True)))())
        assert {m["order"]["id"] for m in received if m["type"] == "order_update"} <= buyer_orders

        # The last account and position pushes are what REST says now.
        status, account = await database_sync_to_async(rest)(port, "account/", tokens["buyer"])
        assert status == 200
        assert {k: v for k, v in [m for m in received if m["type"] == "account"][-1].items()
                if k not in ("type", "seq")} == account
        status, positions = await database_sync_to_async(rest)(port, "positions/", tokens["buyer"])
        assert [{k: v for k, v in [m for m in received if m["type"] == "position"][-1].items()
                 if k not in ("type", "seq")}] == positions["results"]

        # REST serves the same messages, page by page.
        status, page = await database_sync_to_async(rest)(port, "orders/updates/?since=3&limit=7", tokens["buyer"])
        assert status == 200 and page["messages"] == received[3:10]
        assert (page["since"], page["next_since"], page["last_seq"], page["more"]) == (3, 10, last, True)
        status, page = await database_sync_to_async(rest)(port, f"orders/updates/?since={last - 2}", tokens["buyer"])
        assert page["messages"] == received[-2:] and page["more"] is False

        # The seller's stream is its own, gap-free too; the outsider's is empty.
        seller_last = await database_sync_to_async(event_seq)(seller)
        seller_messages = await private_until(seller_ws, seller_last)
        assert [m["seq"] for m in seller_messages] == list(range(1, seller_last + 1))
        assert not buyer_orders & {m["order"]["id"] for m in seller_messages if m["type"] == "order_update"}
        assert {m["id"] for m in seller_messages if m["type"] == "account"} == {seller.pk}
        with pytest.raises(TimeoutError):
            await recv_type(outsider_ws, ("order_update", "account", "position"), timeout=0.5)
        status, page = await database_sync_to_async(rest)(port, "orders/updates/?since=0", tokens["outsider"])
        assert (status, page["messages"], page["last_seq"]) == (200, [], 0)


async def test_a_bad_since_gets_a_clear_error_and_subscribes_nothing(server, venue):
    port = server
    buyer, seller, _, tokens = venue
    await trade(buyer, seller, 6)
    await wait_settled()
    last = await database_sync_to_async(event_seq)(buyer)
    assert last > 0
    async with ws_connect(f"ws://127.0.0.1:{port}/ws/v1/?token={tokens['buyer']}") as ws:
        for since, code in [(-1, "invalid_since"), ("5", "invalid_since"), (1.5, "invalid_since"), (True, "invalid_since"),
                            (2**64, "invalid_since"), ([1], "invalid_since"), (last + 1, "since_in_future"),
                            (2**63 - 1, "since_in_future")]:
            await ws.send(json.dumps({"action": "subscribe", "channels": ["orders"], "since": since}))
            error = await recv(ws)
            assert (error["type"], error["code"]) == ("error", code), (since, error)
            assert error["message"]
        await ws.send(json.dumps({"action": "subscribe", "channels": ["trades"], "symbols": ["AAPL"], "since": 1}))
        assert (await recv(ws))["code"] == "bad_message"
        # Nothing was subscribed: a good since still works on the same socket, and a second since is refused.
        await ws.send(json.dumps({"action": "subscribe", "channels": ["orders"], "since": last - 1}))
        assert (await recv(ws))["type"] == "subscribed"
        assert (await recv(ws))["seq"] == last
        await ws.send(json.dumps({"action": "subscribe", "channels": ["orders"], "since": 0}))
        assert (await recv(ws))["code"] == "already_subscribed"
    async with ws_connect(f"ws://127.0.0.1:{port}/ws/v1/") as anonymous:
        await anonymous.send(json.dumps({"action": "subscribe", "channels": ["orders"], "since": 0}))
        assert (await recv(anonymous))["code"] == "auth_required"

    for query, field in [("", "since"), ("since=", "since"), ("since=-1", "since"), ("since=abc", "since"),
                         ("since=1.5", "since"), ("since=99999999999999999999", "since"), (f"since={last + 1}", "since"),
                         ("since=0&limit=0", "limit"), ("since=0&limit=1001", "limit"), ("since=0&limit=x", "limit")]:
        status, body = await database_sync_to_async(rest)(port, f"orders/updates/?{query}", tokens["buyer"])
        assert status == 400 and list(body) == [field] and body[field][0], (query, status, body)
    status, _ = await database_sync_to_async(rest)(port, "orders/updates/?since=0", "not-a-token")
    assert status == 401


async def test_a_resume_from_before_the_kept_messages_is_too_old(server, venue):
    port = server
    buyer, seller, _, tokens = venue
    await trade(buyer, seller, 6)
    await wait_settled()
    last = await database_sync_to_async(event_seq)(buyer)

    def age_and_prune() -> int:
        PrivateEvent.objects.filter(account=buyer, seq__lte=3).update(created_at=timezone.now() - timedelta(days=8))
        return prune_private_events()

    assert await database_sync_to_async(age_and_prune)() == 3
    async with ws_connect(f"ws://127.0.0.1:{port}/ws/v1/?token={tokens['buyer']}") as ws:
        for since in (0, 2):
            await ws.send(json.dumps({"action": "subscribe", "channels": ["orders"], "since": since}))
            assert (await recv(ws))["code"] == "resume_too_old"
        await ws.send(json.dumps({"action": "subscribe", "channels": ["orders"], "since": 3}))
        assert (await recv(ws))["type"] == "subscribed"
        assert [m["seq"] for m in await private_until(ws, last)] == list(range(4, last + 1))
    status, body = await database_sync_to_async(rest)(port, "orders/updates/?since=1", tokens["buyer"])
    assert status == 422 and body["code"] == "resume_too_old"
    status, body = await database_sync_to_async(rest)(port, "orders/updates/?since=3", tokens["buyer"])
    assert status == 200 and body["messages"][0]["seq"] == 4
