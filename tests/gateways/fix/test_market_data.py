"""Market data sessions: V -> W snapshot agreeing with the REST book, then X incrementals that keep
agreeing with it as orders rest, fill and cancel, trades included; Y for an unknown symbol."""

import time

import pytest
from rest_framework.test import APIClient

from gateways.fix.models import FixSession
from tests.gateways.fix.qf import QuickFixClient
from tests.gateways.fix.support import make_session
from tests.gateways.fix.test_order_entry import rest, rest_order

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DEPTH = 3


def rest_book() -> dict:
    body = APIClient().get(f"/api/v1/marketdata/AAPL/book/?depth={DEPTH}").json()
    return {"0": dict(map(tuple, body["bids"])), "1": dict(map(tuple, body["asks"]))}


def entries(message, width: int) -> list[dict[int, str]]:
    """The NoMDEntries group of a W (width 3) or an X (width 5) in wire order."""
    pairs = message.pairs
    start = next(i for i, (tag, _) in enumerate(pairs) if tag == 268) + 1
    group = [(tag, value) for tag, value in pairs[start:] if tag not in (10,)]
    return [dict(group[i:i + width]) for i in range(0, len(group), width)]


def test_snapshot_then_incrementals_agree_with_the_rest_book(engine, gateway, venue, tmp_path):
    _, key_id, secret = make_session(venue["buyer"], "MD-1", kind=FixSession.Kind.MARKET_DATA, trade=False)
    for price in ("99.00", "98.00", "97.00", "96.00"):
        rest_order(venue["buyer"], symbol="AAPL", side="buy", type="limit", qty="10", limit_price=price)
    rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="5", limit_price="101.00")
    deadline = time.monotonic() + 15
    while len(rest_book()["0"]) < DEPTH:
        assert time.monotonic() < deadline, rest_book()
        time.sleep(0.05)
    md = QuickFixClient(port=gateway.port, comp_id="MD-1", key_id=key_id, secret=secret, directory=tmp_path / "md").start()
    try:
        md.send("V", [(262, "unknown"), (263, "1"), (264, DEPTH), (265, "1"), (267, [[(269, "0")]]), (146, [[(55, "NOPE")]])])
        reject = md.expect("Y")
        assert (reject.get(262), reject.get(281)) == ("unknown", "0")
        md.send("V", [(262, "req-1"), (263, "1"), (264, DEPTH), (265, "1"), (267, [[(269, "0")], [(269, "1")], [(269, "2")]]),
                      (146, [[(55, "AAPL")]])])
        snapshot = md.expect("W")
        assert (snapshot.get(262), snapshot.get(55)) == ("req-1", "AAPL"), snapshot.pairs
        book = {"0": {}, "1": {}}
        for entry in entries(snapshot, 3):
            book[entry[269]][entry[270]] = entry[271]
        assert book == rest_book() == {"0": {"99.00": "10", "98.00": "10", "97.00": "10"}, "1": {"101.00": "5"}}, str(snapshot.pairs)
        # A sell that takes the best bid partly, a new ask level, a cancel of the third bid.
        rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="4", limit_price="99.00")
        rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="7", limit_price="102.00")
        third = next(o for o in rest(venue["buyer"]).get("/api/v1/orders/?status=open").json()["results"]
                     if o["limit_price"] == "97.00")
        assert rest(venue["buyer"]).delete(f"/api/v1/orders/{third['id']}/").status_code == 202
        want = {"0": {"99.00": "6", "98.00": "10", "96.00": "10"}, "1": {"101.00": "5", "102.00": "7"}}
        trades = []
        deadline = time.monotonic() + 20
        while book != want:
            assert time.monotonic() < deadline, (book, want)
            update = md.expect("X", timeout=max(0.1, deadline - time.monotonic()))
            assert update.get(262) == "req-1"
            for entry in entries(update, 5):
                assert entry[55] == "AAPL"
                if entry[269] == "2":
                    trades.append((entry[270], entry[271]))
                elif entry[279] == "2":
                    del book[entry[269]][entry[270]]
                else:
                    book[entry[269]][entry[270]] = entry[271]
                assert len(book["0"]) <= DEPTH and len(book["1"]) <= DEPTH
        assert book == rest_book()
        assert trades == [("99.00", "4")]
        md.send("V", [(262, "req-1"), (263, "2"), (264, DEPTH), (267, [[(269, "0")]]), (146, [[(55, "AAPL")]])])
        rest_order(venue["buyer"], symbol="AAPL", side="buy", type="limit", qty="1", limit_price="99.50")
        md.send("V", [(262, "req-2"), (263, "0"), (264, 1), (267, [[(269, "0")]]), (146, [[(55, "AAPL")]])])
        assert [e[270] for e in entries(md.expect("W", t262="req-2"), 3)] in (["99.50"], ["99.00"])
        assert not [m for m in md.drain(0.5) if m.msg_type == "X"]  # unsubscribed
    finally:
        md.stop()
