"""The session layer over a raw socket: Logon, heartbeats, sequence numbers, rejects of bad input."""

import pytest

from gateways.fix.models import FixSession
from orders.models import Order
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


NOW = "20260101-00:00:00.000"
ORDER = [(11, "ok-1"), (55, "AAPL"), (54, "1"), (60, NOW), (38, "1"), (40, "2"), (44, "90.00"), (59, "1")]


def fix_frame(body: bytes, *, length: int | None = None, checksum: int | None = None) -> bytes:
    head = b"8=FIX.4.4\x019=%d\x01" % (len(body) if length is None else length)
    total = sum(head + body) % 256 if checksum is None else checksum
    return head + body + b"10=%03d\x01" % total


def body(client: RawClient, msg_type: str, fields, seq: int | None = None) -> bytes:
    seq = client.seq if seq is None else seq
    text = f"35={msg_type}\x0149={client.comp_id}\x0156=VENUE\x0134={seq}\x0152={NOW}\x01"
    return (text + "".join(f"{tag}={value}\x01" for tag, value in fields)).encode()


@pytest.fixture
def two_sessions(gateway, venue):
    """The buyer's session under test and the seller's beside it, both logged on."""
    buyer = RawClient(gateway.port, "BUYER")
    buyer.logon(*venue["buyer_fix"][1:])
    seller = RawClient(gateway.port, "SELLER")
    seller.logon(*venue["seller_fix"][1:])
    yield buyer, seller
    buyer.close()
    seller.close()


def assert_unharmed(buyer: RawClient, seller: RawClient) -> None:
    for client in (buyer, seller):
        client.send("1", [(112, "still-there")])
        assert client.expect("0").get(112) == "still-there"


def test_bad_frames_are_rejected_and_not_consumed(two_sessions):
    buyer, seller = two_sessions
    seq = buyer.seq
    buyer.send_raw(fix_frame(body(buyer, "D", ORDER), checksum=(sum(b"x") + 1) % 256))
    reject = buyer.expect("3")
    assert (reject.get(45), reject.get(373), reject.get(58)) == (str(seq), "99", "CheckSum(10) is wrong")
    buyer.send_raw(fix_frame(body(buyer, "D", ORDER), length=12))
    assert buyer.expect("3").get(58) == "BodyLength(9) 12 is wrong"
    buyer.send_raw(b"\x00\xffgarbage 8=FIX.4.2 nonsense\x01\x01\x01")
    assert not Order.objects.exists()
    assert_unharmed(buyer, seller)  # the garbled messages' number was not consumed: this one has it


@pytest.mark.parametrize(("fields", "reason", "tag"), [
    ([(tag, value) for tag, value in ORDER if tag != 55], "1", "55"),
    ([(38, "lots") if tag == 38 else (tag, value) for tag, value in ORDER], "6", "38"),
    ([(54, "Z") if tag == 54 else (tag, value) for tag, value in ORDER], "5", "54"),
    ([(60, "yesterday") if tag == 60 else (tag, value) for tag, value in ORDER], "6", "60"),
    ([(44, "") if tag == 44 else (tag, value) for tag, value in ORDER], "4", "44"),
])
def test_malformed_orders_get_a_reject_and_change_nothing(two_sessions, fields, reason, tag):
    buyer, seller = two_sessions
    seq = buyer.send("D", fields)
    reject = buyer.expect("3")
    assert (reject.get(45), reject.get(373), reject.get(371), reject.get(372)) == (str(seq), reason, tag, "D")
    assert not Order.objects.exists()
    assert_unharmed(buyer, seller)


def test_unknown_and_unsupported_message_types(two_sessions):
    buyer, seller = two_sessions
    seq = buyer.send("ZZ", [(1, "x")])
    assert (buyer.expect("3").get(373), seq) == ("11", seq)
    buyer.send("AE", [(571, "x")])  # TradeCaptureReport: FIX 4.4, not taken here
    assert buyer.expect("j").get(380) == "3"
    buyer.send("V", [(262, "x"), (263, "0"), (264, "1"), (267, "1"), (269, "0"), (146, "1"), (55, "AAPL")])
    assert buyer.expect("j").get(372) == "V"  # market data on a market data session only
    assert_unharmed(buyer, seller)


def test_duplicate_unknown_and_foreign_orders(two_sessions, venue):
    buyer, seller = two_sessions
    buyer.send("D", ORDER)
    assert buyer.expect("8", t11="ok-1").get(150) == "A"
    buyer.send("D", ORDER)
    duplicate = buyer.expect("8", t11="ok-1")
    assert (duplicate.get(150), duplicate.get(103)) == ("8", "6")
    mine = Order.objects.get(client_order_id="ok-1")
    seller.send("F", [(41, "ok-1"), (11, "s-1"), (55, "AAPL"), (54, "1"), (60, NOW)])
    assert seller.expect("9").get(102) == "1"  # another account's ClOrdID is unknown here
    seller.send("F", [(41, "x"), (37, mine.pk), (11, "s-2"), (55, "AAPL"), (54, "1"), (60, NOW)])
    assert seller.expect("9").get(102) == "1"  # and so is its OrderID
    buyer.send("G", [(41, "nope"), (11, "ok-2"), (55, "AAPL"), (54, "1"), (60, NOW), (38, "2"), (40, "2"), (44, "90.00")])
    assert (buyer.expect("9").get(434), Order.objects.count()) == ("2", 1)
    mine.refresh_from_db()
    assert (mine.status, mine.qty, mine.replace_qty) == ("accepted", 1, None)
    assert_unharmed(buyer, seller)


def test_sequence_numbers_gap_too_low_and_reset(two_sessions):
    buyer, seller = two_sessions
    buyer.seq += 2  # two messages "lost"
    buyer.send("0")
    resend = buyer.expect("2")
    assert (resend.get(7), resend.get(16)) == (str(buyer.seq - 3), "0")
    buyer.send("4", [(123, "Y"), (36, buyer.seq)], seq=buyer.seq - 3)  # gap fill of the lost two and the heartbeat
    assert_unharmed(buyer, seller)
    buyer.send("0", seq=2)
    assert "MsgSeqNum too low" in buyer.expect("5").get(58)
    buyer.wait_closed()
    seller.send("1", [(112, "alone")])
    assert seller.expect("0").get(112) == "alone"


def test_second_logon_bad_credentials_and_floods(two_sessions, venue, gateway):
    buyer, seller = two_sessions
    again = RawClient(gateway.port, "BUYER")
    again.send("A", [(98, 0), (108, 30), (553, venue["buyer_fix"][1]), (554, venue["buyer_fix"][2])])
    assert again.expect("5").get(58) == "session already logged on"
    wrong = RawClient(gateway.port, "SELLER")
    wrong.send("A", [(98, 0), (108, 30), (553, venue["seller_fix"][1]), (554, "not-it")])
    assert wrong.expect("5").get(58) == "invalid Username(553) or Password(554)"
    flood = RawClient(gateway.port, "NOBODY")
    flood.send_raw(b"\x01" * 200_000)
    flood.wait_closed()
    buyer.send_raw(b"".join(buyer.message("1", [(112, f"t{i}")], seq=buyer.seq + i) for i in range(2000)))
    buyer.seq += 2000
    heartbeats = {buyer.expect("0").get(112) for _ in range(2000)}
    assert len(heartbeats) == 2000
    assert_unharmed(buyer, seller)
