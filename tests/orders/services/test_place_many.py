"""order_place_many: a list of orders placed in one transaction has, item by item, the outcome
the same orders have placed one by one with order_place, and is as race-free."""

import json
from decimal import Decimal as D

import pytest

from common.errors import ServiceError
from common.redis import get_redis
from orders.bus import shard_for, stream_for_shard
from orders.models import Account, Order, Position
from orders.services import account_set_frozen, order_place, order_place_many
from orders.services.ops import instrument_halt
from tests.concurrency import run_together
from tests.factories import make_instrument, make_trader


def body(**changes) -> dict:
    values = {"symbol": "AAPL", "side": "buy", "type": "limit", "qty": D("10"), "limit_price": D("100.00"),
              "time_in_force": "gtc", "stop_price": None, "post_only": False, "client_order_id": None}
    return {**values, **changes}


MIXED = [
    body(client_order_id="a"),                                   # placed: 1000.30 reserved
    body(qty=D("5"), limit_price=D("100.001")),                  # invalid: off the tick
    body(symbol="NOPE"),                                         # invalid: unknown symbol
    body(limit_price=D("150.00"), client_order_id="b"),          # refused: out of band, kept rejected
    body(client_order_id="a"),                                   # the first order again
    body(limit_price=D("150.00"), client_order_id="b"),          # the rejected one again
    body(qty=D("20")),                                           # refused: buying power (2000.60 > 1999.70 left)
    body(qty=D("19")),                                           # placed: 1900.57 fits what is left
    body(side="sell", qty=D("30"), limit_price=D("101.00")),     # placed: 30 of 50 held
    body(side="sell", qty=D("25"), limit_price=D("101.00")),     # refused: only 20 free
    body(side="sell", qty=D("20"), limit_price=D("101.00")),     # placed: the rest
    body(symbol="HALT"),                                         # refused: halted
    body(type="market", limit_price=None, time_in_force="ioc"),  # refused: buying power (collar price)
    body(qty=D("1"), limit_price=D("99.00"), client_order_id="old"),  # placed before the list: that order
    body(client_order_id="old"),                                 # conflict: "old" was another order
    body(client_order_id="a", qty=D("11")),                      # conflict: "a" is earlier in the list, qty 10
    body(client_order_id="a", qty=D("10.0")),                    # the first order again (10.0 is 10)
]


def outcome(order, created, error) -> tuple:
    return (error.kind if error else None, error.code if error else None, created,
            None if order is None else (order.status, order.reject_reason, order.side, order.qty, order.reserved_cash,
                                        order.client_order_id))


def one_by_one(account, bodies) -> list[tuple]:
    out = []
    for item in bodies:
        try:
            order, created = order_place(account=account, **item)
            out.append(outcome(order, created, None))
        except ServiceError as error:
            out.append(outcome(getattr(error, "order", None), False, error))
    return out


def state(account) -> tuple:
    account.refresh_from_db()
    position = Position.objects.get(account=account, instrument__symbol="AAPL")
    statuses = list(Order.objects.filter(account=account).order_by("id").values_list("status", "reject_reason", "qty"))
    return account.reserved_cash, position.reserved_qty, statuses


@pytest.mark.django_db
def test_a_mixed_list_has_the_outcomes_of_placing_one_by_one(django_capture_on_commit_callbacks):
    aapl = make_instrument("AAPL")
    halted = make_instrument("HALT")
    instrument_halt(instrument=halted)
    traders = [make_trader(name, cash="3000.00", positions={aapl: "50"}) for name in ("many", "single")]
    for trader in traders:
        order_place(account=trader, **body(qty=D("1"), limit_price=D("99.00"), client_order_id="old"))
    many, single = traders
    stream = stream_for_shard(shard_for("AAPL"))
    get_redis().delete(stream)

    with django_capture_on_commit_callbacks(execute=True) as sent:
        results = [outcome(*r) for r in order_place_many(account=many, orders=MIXED)]
    assert len(sent) == 1  # one pipelined append for the whole list
    entries = get_redis().xrange(stream)
    expected = one_by_one(single, MIXED)

    assert results == expected
    assert [r[0] for r in results] == [None, "invalid", "invalid", "refused", None, None, "refused", None, None,
                                       "refused", None, "refused", "refused", None, "conflict", "conflict", None]
    assert state(many)[:2] == state(single)[:2] == (D("1000.30") + D("1900.57") + D("99.03"), D("50"))
    assert state(many)[2] == state(single)[2]
    # One command per placed order, in list order, sent after the commit.
    placed = list(Order.objects.filter(account=many, status="accepted").exclude(client_order_id="old")
                  .order_by("id").values_list("id", flat=True))
    assert [json.loads(fields[b"c"])["order_id"] for _, fields in entries] == placed


@pytest.mark.django_db
def test_a_frozen_account_places_nothing():
    aapl = make_instrument("AAPL")
    account = make_trader("cold", cash="3000.00", positions={aapl: "5"})
    account_set_frozen(account=account, frozen=True)
    stale = Account.objects.get(pk=account.pk)
    stale.frozen = False  # what a caller holds does not matter: the database says frozen
    results = order_place_many(account=stale, orders=[body(), body(side="sell", qty=D("5"))])
    assert [(e.code, o.status) for o, _, e in results] == [("account_frozen", "rejected")] * 2


@pytest.mark.django_db(transaction=True)
def test_parallel_lists_and_single_orders_reserve_no_more_than_the_cash():
    make_instrument("AAPL")
    # Each order: 10 x 100.00 + fee 0.30 = 1000.30; the cash covers 10 of the 60 sent.
    account = make_trader("racer", cash="10003.00")

    def send(i: int) -> list[str]:
        if i % 2:
            return [e.code if e else "accepted" for _, _, e in
                    order_place_many(account=account, orders=[body(client_order_id=f"l{i}-{n}") for n in range(10)])]
        results = []
        for n in range(5):
            try:
                order_place(account=account, **body(client_order_id=f"s{i}-{n}"))
                results.append("accepted")
            except ServiceError as refusal:
                results.append(refusal.code)
        return results

    outcomes = run_together(8, send)
    account.refresh_from_db()
    assert len(outcomes) == 60
    assert outcomes.count("accepted") == 10
    assert outcomes.count("insufficient_buying_power") == 50
    assert account.reserved_cash == D("10003.00")
    assert Order.objects.filter(status="accepted").count() == 10
