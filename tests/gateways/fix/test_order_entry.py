"""Order entry driven by QuickFIX against the real gateway and engine: each order type, a fill
against an order from REST with both sides' ExecutionReports, cancel, replace, mass cancel, status,
refusals; a reconnect gets what it missed; sequence numbers survive a gateway restart."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gateways.fix.models import FixSession
from orders.models import Order
from tests.gateways.fix.qf import QuickFixClient, report
from tests.gateways.fix.support import make_session
from tests.processes import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ER = (37, 11, 41, 150, 39, 55, 54, 38, 40, 44, 99, 59, 32, 31, 151, 14, 6, 103)
NOW = "20260101-00:00:00.000"


def rest(account):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.get_or_create(user=account.user)[0].key)
    return client


def rest_order(account, **body) -> dict:
    response = rest(account).post("/api/v1/orders/", {"time_in_force": "gtc", **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def new_order(client, cl_ord_id, side, qty, ord_type="2", price=None, stop=None, tif=None, exec_inst=None, symbol="AAPL"):
    fields = [(11, cl_ord_id), (55, symbol), (54, side), (60, NOW), (38, qty), (40, ord_type)]
    fields += [(tag, value) for tag, value in ((44, price), (99, stop), (59, tif), (18, exec_inst)) if value is not None]
    client.send("D", fields)


def er(**values):
    """An ExecutionReport's expected values of ER's tags (None: absent)."""
    out = dict.fromkeys(ER)
    out.update({int(k[1:]): v for k, v in values.items()})
    return out


@pytest.fixture
def clients(engine, gateway, venue, tmp_path):
    started = []

    def start(name):
        _, key_id, secret = venue[f"{name}_fix"]
        client = QuickFixClient(port=gateway.port, comp_id=name.upper(), key_id=key_id, secret=secret,
                                directory=tmp_path / name)
        started.append(client)
        return client.start()

    yield start
    for client in started:
        client.stop()


def test_limit_order_fills_against_a_rest_order_with_both_sides_reported(clients, venue, tmp_path, gateway):
    seller_copy, key_id, secret = make_session(venue["seller"], "SELLER-DC", kind=FixSession.Kind.DROP_COPY, trade=False)
    drop = QuickFixClient(port=gateway.port, comp_id="SELLER-DC", key_id=key_id, secret=secret,
                          directory=tmp_path / "dc").start()
    try:
        buyer = clients("buyer")
        resting = rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="10", limit_price="100.00",
                             client_order_id="rest-1")
        new_order(buyer, "b-1", "1", "10", price="100.00")
        wait_for(lambda: Order.objects.filter(client_order_id="b-1").exists(), 15, "order stored")
        oid = str(Order.objects.get(client_order_id="b-1").pk)
        base = dict(t37=oid, t11="b-1", t55="AAPL", t54="1", t38="10", t40="2", t44="100.00", t59="0")
        assert report(buyer.expect("8", t150="A"), *ER) == er(**base, t150="A", t39="A", t151="10", t14="0", t6="0")
        fill = buyer.expect("8", t150="F")
        assert report(fill, *ER) == er(**base, t150="F", t39="2", t32="10", t31="100.00", t151="0", t14="10", t6="100.00")
        assert fill.get(17) and fill.get(60)
        # The REST order's side, on the seller's drop copy: its new, then its fill.
        rid = str(resting["id"])
        side = dict(t37=rid, t11="rest-1", t55="AAPL", t54="2", t38="10", t40="2", t44="100.00", t59="1")
        assert report(drop.expect("8", t150="0"), *ER) == er(**side, t150="0", t39="0", t151="10", t14="0", t6="0")
        assert report(drop.expect("8", t150="F"), *ER) == er(**side, t150="F", t39="2", t32="10", t31="100.00", t151="0",
                                                            t14="10", t6="100.00")
        assert Order.objects.get(pk=oid).status == Order.Status.FILLED
    finally:
        drop.stop()


def test_market_stop_and_stop_limit_orders(clients, venue):
    buyer = clients("buyer")
    rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="5", limit_price="100.00")
    new_order(buyer, "m-1", "1", "5", ord_type="1")
    market = buyer.expect("8", t150="F", t11="m-1")
    assert report(market, 39, 32, 31, 151, 14, 6, 40) == {39: "2", 32: "5", 31: "100.00", 151: "0", 14: "5", 6: "100.00", 40: "1"}
    new_order(buyer, "s-1", "1", "3", ord_type="3", stop="108.00", tif="1")
    assert report(buyer.expect("8", t11="s-1", t150="0"), 39, 40, 99, 59, 151) == {39: "0", 40: "3", 99: "108.00", 59: "1", 151: "3"}
    new_order(buyer, "sl-1", "1", "3", ord_type="4", price="109.00", stop="108.00", tif="1")
    assert report(buyer.expect("8", t11="sl-1", t150="0"), 39, 40, 44, 99) == {39: "0", 40: "4", 44: "109.00", 99: "108.00"}


def test_midpoint_order_fills_at_the_midpoint(clients, venue):
    buyer = clients("buyer")
    rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="5", limit_price="100.05")
    rest_order(venue["buyer"], symbol="AAPL", side="buy", type="limit", qty="5", limit_price="99.90")
    rest_order(venue["seller"], symbol="AAPL", side="sell", type="midpoint", qty="4", time_in_force="day")
    new_order(buyer, "mid-1", "1", "4", ord_type="P", exec_inst="M", tif="0")
    fill = buyer.expect("8", t11="mid-1", t150="F")
    assert report(fill, 40, 18, 39, 31, 32, 14, 151) == {40: "P", 18: "M", 39: "2", 31: "99.975", 32: "4", 14: "4", 151: "0"}


def test_time_in_force_and_post_only(clients, venue):
    buyer = clients("buyer")
    rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="5", limit_price="101.00")
    new_order(buyer, "ioc-1", "1", "5", price="99.00", tif="3")
    done = buyer.expect("8", t11="ioc-1", t150="C")  # what an IOC could not fill expires
    assert report(done, 39, 59, 151, 14) == {39: "C", 59: "3", 151: "0", 14: "0"}
    new_order(buyer, "fok-1", "1", "9", price="101.00", tif="4")
    assert buyer.expect("8", t11="fok-1", t150="C").get(39) == "C"
    new_order(buyer, "po-1", "1", "5", price="101.00", exec_inst="6", tif="1")
    refused = buyer.expect("8", t11="po-1", t150="8")
    assert (refused.get(39), refused.get(18), refused.get(151)) == ("8", "6", "0")
    assert refused.get(58)
    new_order(buyer, "po-2", "1", "5", price="100.00", exec_inst="6", tif="1")
    assert buyer.expect("8", t11="po-2", t150="0").get(18) == "6"


def test_cancel_replace_status_and_mass_cancel(clients, venue):
    buyer = clients("buyer")
    new_order(buyer, "c-1", "1", "10", price="95.00", tif="1")
    oid = buyer.expect("8", t11="c-1", t150="0").get(37)
    buyer.send("G", [(41, "c-1"), (11, "c-2"), (55, "AAPL"), (54, "1"), (60, NOW), (38, "20"), (40, "2"), (44, "96.00")])
    pending = buyer.expect("8", t150="E")
    assert report(pending, 37, 11, 41, 39) == {37: oid, 11: "c-2", 41: "c-1", 39: "E"}
    replaced = buyer.expect("8", t150="5")
    assert report(replaced, 37, 11, 41, 39, 38, 44, 151, 14) == {37: oid, 11: "c-2", 41: "c-1", 39: "0", 38: "20",
                                                                 44: "96.00", 151: "20", 14: "0"}
    buyer.send("H", [(11, "c-2"), (55, "AAPL"), (54, "1"), (790, "st-1")])
    status = buyer.expect("8", t150="I")
    assert report(status, 37, 39, 38, 44, 151, 14, 790) == {37: oid, 39: "0", 38: "20", 44: "96.00", 151: "20", 14: "0",
                                                            790: "st-1"}
    buyer.send("F", [(41, "c-2"), (11, "c-3"), (55, "AAPL"), (54, "1"), (60, NOW)])
    assert report(buyer.expect("8", t150="6"), 37, 11, 41, 39) == {37: oid, 11: "c-3", 41: "c-2", 39: "6"}
    canceled = buyer.expect("8", t150="4")
    assert report(canceled, 37, 11, 41, 39, 151, 14) == {37: oid, 11: "c-3", 41: "c-2", 39: "4", 151: "0", 14: "0"}
    # Refused cancels: a closed order, an unknown one.
    buyer.send("F", [(41, "c-1"), (11, "c-4"), (55, "AAPL"), (54, "1"), (60, NOW)])
    assert report(buyer.expect("9"), 37, 11, 41, 39, 434, 102) == {37: oid, 11: "c-4", 41: "c-1", 39: "4", 434: "1", 102: "0"}
    buyer.send("F", [(41, "nope"), (11, "c-5"), (55, "AAPL"), (54, "1"), (60, NOW)])
    assert report(buyer.expect("9"), 37, 11, 41, 39, 434, 102) == {37: "NONE", 11: "c-5", 41: "nope", 39: "8", 434: "1", 102: "1"}
    # Mass cancel: both open orders go, each reported.
    new_order(buyer, "mc-1", "1", "1", price="90.00", tif="1")
    new_order(buyer, "mc-2", "1", "1", price="91.00", tif="1")
    buyer.expect("8", t11="mc-1", t150="0")
    buyer.expect("8", t11="mc-2", t150="0")
    buyer.send("q", [(11, "mass-1"), (530, "7"), (60, NOW)])
    assert report(buyer.expect("r"), 11, 530, 531, 533) == {11: "mass-1", 530: "7", 531: "7", 533: "2"}
    assert {buyer.expect("8", t150="4").get(11) for _ in range(2)} == {"mc-1", "mc-2"}
    assert not Order.objects.filter(account=venue["buyer"], status__in=Order.OPEN_STATUSES).exists()


def test_refused_orders(clients, venue):
    buyer = clients("buyer")
    new_order(buyer, "big-1", "1", "20000", price="100.00")
    refused = buyer.expect("8", t11="big-1")
    assert report(refused, 150, 39, 103, 151, 14) == {150: "8", 39: "8", 103: "3", 151: "0", 14: "0"}
    assert "Buying power" in refused.get(58)
    assert Order.objects.get(client_order_id="big-1").status == Order.Status.REJECTED
    new_order(buyer, "sym-1", "1", "1", price="100.00", symbol="NOPE")
    assert report(buyer.expect("8", t11="sym-1"), 150, 39, 103, 37) == {150: "8", 39: "8", 103: "1", 37: "NONE"}
    new_order(buyer, "tick-1", "1", "1", price="100.001")
    assert buyer.expect("8", t11="tick-1").get(150) == "8"
    new_order(buyer, "peg-1", "1", "1", ord_type="P")  # a peg without ExecInst M (mid-price)
    assert report(buyer.expect("8", t11="peg-1"), 150, 103) == {150: "8", 103: "11"}
    assert not Order.objects.filter(client_order_id__in=["sym-1", "tick-1", "peg-1"]).exists()


def test_reconnect_gets_what_it_missed_and_numbers_survive_a_gateway_restart(clients, venue, gateway):
    buyer = clients("buyer")
    new_order(buyer, "r-1", "1", "10", price="100.00", tif="1")
    buyer.expect("8", t11="r-1", t150="0")
    buyer.stop()
    # While it is away, its order fills against REST.
    rest_order(venue["seller"], symbol="AAPL", side="sell", type="limit", qty="4", limit_price="100.00")
    wait_for(lambda: Order.objects.get(client_order_id="r-1").filled_qty == 4, 15, "fill settled")
    wait_for(lambda: FixSession.objects.get(sender_comp_id="BUYER").next_out_seq >= 5, 10, "report journaled")
    buyer.start()
    missed = buyer.expect("8", t150="F")
    assert report(missed, 11, 39, 32, 151, 14, 43) == {11: "r-1", 39: "1", 32: "4", 151: "6", 14: "4", 43: "Y"}
    assert missed.get(122)
    # The gateway restarts: QuickFIX reconnects and both sides carry on from their numbers.
    sent_before = FixSession.objects.get(sender_comp_id="BUYER").next_out_seq
    gateway.restart()
    wait_for(lambda: buyer.logged_on, 20, "QuickFIX logged on again")
    wait_for(lambda: FixSession.objects.get(sender_comp_id="BUYER").connected_at is not None, 20, "connected")
    assert FixSession.objects.get(sender_comp_id="BUYER").next_out_seq > sent_before
    buyer.send("F", [(41, "r-1"), (11, "r-2"), (55, "AAPL"), (54, "1"), (60, NOW)])
    assert report(buyer.expect("8", t150="4"), 11, 41, 14) == {11: "r-2", 41: "r-1", 14: "4"}
    assert [m.pairs for m in buyer.drain(0.5) if m.msg_type == "3"] == []
