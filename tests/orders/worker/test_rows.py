"""The engine batch's many-row reads and writes give what the ORM gives, on either database."""

from datetime import datetime, timezone
from decimal import Decimal as D

import pytest
from django.db import transaction

from orders.models import Account, LedgerEntry, Order, Position, Trade
from orders.services import order_place
from orders.worker.rows import insert_rows, select_rows, update_rows
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db


def test_update_rows_sets_values_and_adds_deltas_per_row():
    aapl = make_instrument("AAPL")
    traders = [make_trader(f"t{i}", cash="100.00", positions={aapl: "10"}) for i in range(3)]
    positions = list(Position.objects.filter(account__in=traders).order_by("id"))
    with transaction.atomic():
        update_rows(Account, [t.pk for t in traders],
                    add={"cash": [D("1.25"), D("-2.50"), D("0")], "reserved_cash": [D("0.50"), D("0"), D("3.10")]})
        update_rows(Position, [p.pk for p in positions], set={"avg_price": [D("91.5"), D("0"), D("92.12345678")]},
                    add={"qty": [D("-2"), D("0.5"), D("0")]})
    assert [(a.cash, a.reserved_cash) for a in Account.objects.filter(pk__in=[t.pk for t in traders]).order_by("id")] == \
        [(D("101.25"), D("0.50")), (D("97.50"), D("0.00")), (D("100.00"), D("3.10"))]
    assert [(p.qty, p.avg_price) for p in Position.objects.filter(pk__in=[p.pk for p in positions]).order_by("id")] == \
        [(D("8"), D("91.5")), (D("10.5"), D("0")), (D("10"), D("92.12345678"))]


def test_update_rows_writes_nulls_text_booleans_and_times():
    aapl = make_instrument("AAPL")
    trader = make_trader("buyer", cash="10000.00")
    orders = [order_place(account=trader, symbol="AAPL", side="buy", type="limit", qty=D("1"),
                          limit_price=D("100.00"))[0] for _ in range(2)]
    when = datetime(2026, 11, 23, 12, 30, 15, 123456, tzinfo=timezone.utc)
    update_rows(Order, [o.pk for o in orders], set={
        "status": ["rejected", "new"], "reject_reason": ['halted, "quoted" {braces}', ""],
        "engine_seq": [None, 7], "engine_at": [None, when], "stop_triggered": [True, False],
        "replace_qty": [None, None], "filled_notional": [D("0.000000004"), D("12.345678906")]})
    first, second = (Order.objects.get(pk=o.pk) for o in orders)
    assert (first.status, first.reject_reason, first.engine_seq, first.engine_at, first.stop_triggered) == \
        ("rejected", 'halted, "quoted" {braces}', None, None, True)
    assert (second.status, second.engine_seq, second.engine_at, second.stop_triggered) == ("new", 7, when, False)
    assert (first.filled_notional, second.filled_notional) == (D("0"), D("12.34567891"))  # the column's 8 places
    assert first.instrument_id == aapl.pk and first.qty == D("1")  # untouched


def test_insert_rows_returns_what_it_is_asked_for_each_row():
    make_instrument("AAPL")
    buyer, seller = make_trader("buyer", cash="1000.00"), make_trader("seller", cash="1000.00")
    buy = order_place(account=buyer, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D("100.00"))[0]
    sell = order_place(account=seller, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D("99.00"))[0]
    now = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    rows = [(buy.instrument_id, D("100.00"), D("1"), "buy", sell.pk, buy.pk, D("0.01"), D("0.05"), seq, now, False)
            for seq in (41, 42)]
    returned = insert_rows(Trade, ("instrument_id", "price", "qty", "aggressor_side", "maker_order_id",
                                   "taker_order_id", "maker_fee", "taker_fee", "seq", "created_at", "dark"),
                           rows, returning=("id", "seq"))
    assert sorted(seq for _, seq in returned) == [41, 42]
    assert {Trade.objects.get(pk=pk).seq for pk, _ in returned} == {41, 42}
    trade_id = returned[0][0]
    assert insert_rows(LedgerEntry, ("txn", "account_id", "kind", "amount", "trade_id", "memo", "created_at"),
                       [("trade:1:41", buyer.pk, "trade", D("-100.00"), trade_id, "", now),
                        ("trade:1:41", seller.pk, "trade", D("100.00"), trade_id, "", now)]) == []
    assert sorted(LedgerEntry.objects.filter(trade_id=trade_id).values_list("amount", flat=True)) == \
        [D("-100.00"), D("100.00")]


def test_select_rows_matches_any_of_the_values_and_orders_rows():
    aapl, msft = make_instrument("AAPL"), make_instrument("MSFT")
    traders = [make_trader(f"t{i}", positions={aapl: "5", msft: "7"}) for i in range(3)]
    found = select_rows(Position, instrument_id=[msft.pk], account_id=[traders[2].pk, traders[0].pk],
                        order_by=("account_id",))
    assert [(p.account_id, p.instrument_id, p.qty) for p in found] == \
        [(traders[0].pk, msft.pk, D("7")), (traders[2].pk, msft.pk, D("7"))]
    with transaction.atomic():
        locked = select_rows(Position, lock="no_key", id=[found[1].pk])
    assert [p.pk for p in locked] == [found[1].pk] and locked[0].qty == D("7")
    assert select_rows(Position, id=[-1]) == []
