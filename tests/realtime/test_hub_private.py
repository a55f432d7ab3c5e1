"""The hub's private stream per socket: live messages in seq order whatever order they arrive in
(a gap is read back from the database, a repeat is dropped), and a replay read page by page."""

import json

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from orders.models import Account, PrivateEvent
from orders.services import account_for_user
from realtime.channels import account_channel
from realtime.messages import PrivateMessages
from tests.realtime.ws_support import FakeEngine, connect, receive

pytestmark = pytest.mark.django_db(transaction=True)


def text(account_id: int, seq: int) -> str:
    return json.dumps({"type": "order_update", "seq": seq, "event": "new", "order": {"id": seq, "account": account_id}})


@database_sync_to_async
def commit(account_id: int, seqs) -> None:
    """What a batch writes: the messages, and the account's counter at the last."""
    PrivateEvent.objects.bulk_create([PrivateEvent(account_id=account_id, seq=s, type="order_update",
                                                   body=text(account_id, s), created_at=timezone.now()) for s in seqs])
    Account.objects.filter(pk=account_id).update(event_seq=max(seqs))


@pytest.fixture
async def alice():
    def make():
        user = User.objects.create_user("alice")
        return account_for_user(user=user).pk, Token.objects.create(user=user).key

    account_id, token = await database_sync_to_async(make)()
    fake = FakeEngine()
    yield account_id, token, fake
    await fake.close()


async def publish(fake: FakeEngine, account_id: int, seqs) -> None:
    message = PrivateMessages(account_id=account_id, messages=[(s, text(account_id, s)) for s in seqs])
    await fake.redis.publish(account_channel(account_id), message.encode())


async def test_a_gap_is_read_back_and_a_repeat_dropped(alice):
    account_id, token, fake = alice
    await commit(account_id, range(1, 6))
    ws = await connect(f"/ws/v1/?token={token}")
    await ws.send_json_to({"action": "subscribe", "channels": ["orders"]})
    assert (await receive(ws))["seq"] == 5
    await commit(account_id, range(6, 10))
    await publish(fake, account_id, [8, 9])  # 6 and 7 are late (another shard's batch)
    assert [(await receive(ws))["seq"] for _ in range(4)] == [6, 7, 8, 9]
    await publish(fake, account_id, [6, 7])
    await commit(account_id, [10])
    await publish(fake, account_id, [10])
    assert (await receive(ws))["seq"] == 10
    assert await ws.receive_nothing(0.3)
    await ws.disconnect()


async def test_a_long_replay_pages_through_a_small_buffer_then_goes_live(alice):
    account_id, token, fake = alice
    await commit(account_id, range(1, 301))
    with override_settings(WS_MAX_QUEUE=8):
        ws = await connect(f"/ws/v1/?token={token}")
        await ws.send_json_to({"action": "subscribe", "channels": ["orders"], "since": 0})
        assert (await receive(ws))["type"] == "subscribed"
        await commit(account_id, [301])
        await publish(fake, account_id, [301])  # live while the replay is still reading
        seqs = [(await receive(ws))["seq"] for _ in range(301)]
        assert seqs == list(range(1, 302))
        assert await ws.receive_nothing(0.3)
        await ws.disconnect()
