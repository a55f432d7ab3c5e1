"""Drop copy: every ExecutionReport of the account, whatever the order came through, in order, and
what it missed (while it was away, and while the gateway itself was down) after it logs on again."""

import pytest

from gateways.fix.models import FixSession
from orders.models import Order
from tests.gateways.fix.qf import QuickFixClient, report
from tests.gateways.fix.support import make_session
from tests.gateways.fix.test_order_entry import NOW, rest_order
from tests.processes import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_drop_copy_sees_rest_and_fix_orders_and_what_it_missed(engine, gateway, venue, tmp_path):
    _, key_id, secret = make_session(venue["buyer"], "BUYER-DC", kind=FixSession.Kind.DROP_COPY, trade=False)
    drop = QuickFixClient(port=gateway.port, comp_id="BUYER-DC", key_id=key_id, secret=secret,
                          directory=tmp_path / "dc").start()
    _, key_id, secret = venue["buyer_fix"]
    entry = QuickFixClient(port=gateway.port, comp_id="BUYER", key_id=key_id, secret=secret,
                           directory=tmp_path / "oe").start()
    try:
        mine = rest_order(venue["buyer"], symbol="AAPL", side="buy", type="limit", qty="10", limit_price="100.00",
                          client_order_id="web-1")
        entry.send("D", [(11, "fix-1"), (55, "AAPL"), (54, "1"), (60, NOW), (38, "5"), (40, "2"), (44, "99.00"), (59, "1")])
        rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="3", limit_price="100.00")
        seen = [drop.expect("8") for _ in range(3)]
        assert [(m.get(11), m.get(150), m.get(39), m.get(14)) for m in seen] == [
            ("web-1", "0", "0", "0"), ("fix-1", "0", "0", "0"), ("web-1", "F", "1", "3")]
        assert report(seen[2], 37, 32, 31, 151) == {37: str(mine["id"]), 32: "3", 31: "100.00", 151: "7"}
        # Away, then the gateway down too: fills happen meanwhile.
        drop.stop()
        rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="2", limit_price="100.00")
        wait_for(lambda: Order.objects.get(pk=mine["id"]).filled_qty == 5, 15, "second fill")
        gateway.stop()
        rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="6", limit_price="99.00")
        wait_for(lambda: Order.objects.get(pk=mine["id"]).filled_qty == 10, 15, "third fill")
        wait_for(lambda: Order.objects.get(client_order_id="fix-1").filled_qty == 1, 15, "fix order's fill")
        gateway.start()
        drop.start()
        missed = [drop.expect("8") for _ in range(3)]
        assert [(m.get(11), m.get(150), m.get(39), m.get(32), m.get(14), m.get(151)) for m in missed] == [
            ("web-1", "F", "1", "2", "5", "5"), ("web-1", "F", "2", "5", "10", "0"), ("fix-1", "F", "1", "1", "1", "4")]
        assert [m.get(43) for m in missed] == ["Y", "Y", "Y"]  # resent: each was numbered while it was away
        assert len({m.get(17) for m in seen + missed}) == 6
    finally:
        drop.stop()
        entry.stop()
