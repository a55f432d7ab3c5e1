"""The session layer over a raw socket: Logon, heartbeats, sequence numbers, rejects of bad input."""

import pytest

from gateways.fix.models import FixSession
from tests.gateways.fix.support import RawClient
from tests.processes import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_logon_heartbeat_and_logout(gateway, venue):
    _, key_id, secret = venue["buyer_fix"]
    client = RawClient(gateway.port, "BUYER")
    logon = client.logon(key_id, secret, heartbeat=5)
    assert (logon.get(98), logon.get(108), logon.get(34), logon.get(49), logon.get(56)) == ("0", "5", "1", "VENUE", "BUYER")
    client.send("1", [(112, "hello")])
    assert client.expect("0").get(112) == "hello"
    client.send("5", [(58, "bye")])
    assert client.expect("5").get(58) == "logout acknowledged"
    client.wait_closed()
    wait_for(lambda: FixSession.objects.get(sender_comp_id="BUYER").connected_at is None, 10, "logged out")
    session = FixSession.objects.get(sender_comp_id="BUYER")
    assert (session.next_in_seq, session.next_out_seq, session.connected_at) == (4, 4, None)
