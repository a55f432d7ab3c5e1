"""The engine's contract with its worker: validation, idempotency, halts, recovery,
determinism, the Decimal edge, and no framework imports."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from orders.engine import (
    Accepted,
    BookLevel,
    CancelAll,
    Canceled,
    CancelRejected,
    ExpireDay,
    GridError,
    Halt,
    InstrumentSpec,
    MatchingEngine,
    NewOrder,
    OpenOrder,
    OrderType,
    Rejected,
    RejectOrder,
    Replace,
    RestoreError,
    Resume,
    StatusChanged,
    StpMode,
    Trade,
)
from orders.engine import TimeInForce as TIF

from .support import BUY, SELL, SYM, cancel, limit, market, new_engine, replace, run, stop

ENGINE_DIR = Path(__file__).resolve().parents[3] / "orders" / "engine"


def order(**kw):
    fields = dict(order_id=1, account_id=1, symbol=SYM, side=BUY, qty=1, price=100)
    fields.update(kw)
    return NewOrder(**fields)


@pytest.mark.parametrize("command, reason", [
    (order(qty=0), "invalid_qty"),
    (order(qty=-3), "invalid_qty"),
    (order(qty=1.5), "invalid_qty"),
    (order(qty=True), "invalid_qty"),
    (order(price=None), "invalid_price"),
    (order(price=0), "invalid_price"),
    (order(price=100.0), "invalid_price"),
    (order(type=OrderType.MARKET, price=100), "invalid_price"),
    (order(side="sideways"), "invalid_side"),
    (order(type="iceberg"), "invalid_type"),
    (order(time_in_force="gtd"), "invalid_tif"),
    (order(stp="nope"), "invalid_stp"),
    (order(post_only="yes"), "invalid_post_only"),
    (order(order_id="7"), "invalid_order_id"),
    (order(order_id=[7]), "invalid_order_id"),
])
def test_bad_orders_are_rejected_with_a_reason(command, reason):
    eng = new_engine()
    assert eng.apply(command) == [Rejected(SYM, 1, command.order_id, 1, reason)]
    assert eng.l2(SYM).bids == ()


def test_wire_strings_are_accepted_for_enums():
    eng = new_engine()
    assert eng.apply(order(side="sell", type="limit", time_in_force="day", stp="decrement")) == [
        Accepted(SYM, 1, 1, 1), BookLevel(SYM, 2, SELL, 100, 1)]
    rec = eng.open_order(1)
    assert (rec.side, rec.time_in_force, rec.stp) == (SELL, TIF.DAY, StpMode.DECREMENT)


def test_unknown_symbol_and_unknown_command_are_answered_not_raised():
    eng = new_engine()
    assert eng.apply(order(symbol="NOPE")) == [Rejected("NOPE", 0, 1, 1, "unknown_symbol")]
    assert eng.apply(Halt(symbol="NOPE")) == [
        Rejected("NOPE", 0, None, None, "unknown_symbol", "halt")]
    assert eng.apply(ExpireDay(symbol="NOPE"))[0].reason == "unknown_symbol"
    assert eng.apply(object())[0].reason == "invalid_command"
    assert eng.apply(order(symbol=["unhashable"]))[0].reason == "unknown_symbol"
    assert eng.seq(SYM) == 0  # nothing of this touched the real symbol's stream


def test_a_known_order_id_is_ignored():
    eng = new_engine()
    run(eng, limit(1, SELL, 5, 100, acct=1))
    assert eng.apply(limit(1, SELL, 5, 100, acct=1)) == []  # open
    run(eng, limit(2, BUY, 5, 100, acct=2))
    assert eng.apply(limit(2, BUY, 5, 100, acct=2)) == []  # filled
    run(eng, limit(3, BUY, 0, 100))
    assert eng.apply(limit(3, BUY, 5, 100)) == []  # rejected before
    assert eng.apply(RejectOrder(order_id=3, account_id=1, symbol=SYM, reason="off_tick")) == []
    assert eng.knows(1) and eng.knows(3) and not eng.knows(4)
    assert eng.seq(SYM) == 6


def test_reject_order_command_gives_a_sequenced_rejection():
    eng = new_engine()
    run(eng, limit(1, BUY, 1, 100))
    assert eng.apply(RejectOrder(order_id=2, account_id=5, symbol=SYM, reason="off_tick")) == [
        Rejected(SYM, 3, 2, 5, "off_tick")]
    assert eng.apply(limit(2, BUY, 1, 100)) == []


def test_halt_keeps_the_book_refuses_orders_and_replaces_but_allows_cancels():
    eng = new_engine()
    run(eng, limit(1, BUY, 5, 100), limit(2, BUY, 5, 99), stop(3, SELL, 1, 90))
    assert eng.apply(Halt(symbol=SYM)) == [StatusChanged(SYM, 6, "halted")]
    assert eng.apply(Halt(symbol=SYM)) == []
    assert eng.is_halted(SYM)
    assert eng.apply(limit(4, SELL, 1, 100, acct=2)) == [Rejected(SYM, 7, 4, 2, "halted")]
    assert eng.apply(market(5, SELL, 1, acct=2)) == [Rejected(SYM, 8, 5, 2, "halted")]
    assert eng.apply(replace(1, qty=2)) == [
        CancelRejected(SYM, 9, 1, None, "replace", "halted")]
    assert eng.apply(cancel(2)) == [
        Canceled(SYM, 10, 2, 1, BUY, 5, 0, "user"), BookLevel(SYM, 11, BUY, 99, 0)]
    assert eng.apply(CancelAll(account_id=1))[0].order_id == 1
    assert eng.l2(SYM).bids == () and eng.open_order(3) is None
    run(eng, limit(6, BUY, 2, 100))
    assert eng.apply(Resume(symbol=SYM)) == [StatusChanged(SYM, 16, "trading")]
    assert eng.apply(limit(7, BUY, 2, 100)) == [
        Accepted(SYM, 17, 7, 1), BookLevel(SYM, 18, BUY, 100, 2)]


def test_restore_rebuilds_the_book_and_continues_the_numbering():
    eng = new_engine()
    run(eng,
        limit(1, BUY, 5, 100, acct=1), limit(2, BUY, 3, 100, acct=2), limit(3, BUY, 2, 99),
        limit(4, SELL, 4, 103, acct=3, time_in_force=TIF.DAY, post_only=True),
        limit(5, SELL, 1, 100, acct=3),  # fills 1 of order 1
        stop(6, SELL, 2, 95, acct=4), stop(7, BUY, 2, 100, price=101, acct=5),
        limit(8, SELL, 1, 101, acct=6))  # order 7 triggers, takes 101 and rests 1 at 101
    records = eng.open_orders(SYM)
    assert [(r.order_id, r.leaves_qty) for r in records] == [
        (7, 1), (1, 4), (2, 3), (3, 2), (4, 4), (6, 2)]
    assert records[0].triggered and not records[-1].triggered
    copy = MatchingEngine()
    copy.add_symbol(SYM)
    copy.restore(SYM, records, seq=eng.seq(SYM), trade_seq=eng.trade_seq(SYM),
                 last_price=eng.l1(SYM).last)
    assert copy.open_orders(SYM) == records
    assert copy.l2(SYM, None) == eng.l2(SYM, None) and copy.l1(SYM) == eng.l1(SYM)
    follow = [market(20, SELL, 9, acct=9), limit(21, BUY, 5, 96, acct=9), cancel(3),
              replace(4, qty=2)]
    assert [copy.apply(c) for c in follow] == [eng.apply(c) for c in follow]


def test_restore_refuses_inconsistent_input():
    eng = new_engine()

    def rec(oid, side, price, **kw):
        fields = dict(order_id=oid, account_id=1, symbol=SYM, side=side, type="limit",
                      time_in_force="gtc", qty=5, leaves_qty=5, price=price)
        fields.update(kw)
        return OpenOrder(**fields)

    for bad in ([rec(1, "buy", 101), rec(2, "sell", 100)],  # crossed
                [rec(1, "buy", 100), rec(1, "buy", 99)],  # duplicate id
                [rec(1, "buy", 100, leaves_qty=6)],
                [rec(1, "buy", 100, time_in_force="ioc")],
                [rec(1, "buy", None, type="market")],
                [rec(1, "buy", 100, symbol="OTHER")]):
        with pytest.raises(RestoreError):
            eng.restore(SYM, bad)
    eng.restore(SYM, [rec(1, "buy", 100)], seq=41, trade_seq=7, last_price=100)
    assert eng.seq(SYM) == 41 and eng.open_order(1).leaves_qty == 5
    assert eng.apply(limit(2, SELL, 5, 100, acct=2))[1] == Trade(
        SYM, 43, 8, 100, 5, SELL, 1, 1, 2, 2, 0, 0)


def test_the_same_commands_always_give_the_same_events():
    def stream():
        yield from (limit(i, BUY if i % 2 else SELL, i % 7 + 1, 95 + i % 11, acct=i % 3)
                    for i in range(1, 300))
        yield from (cancel(i) for i in range(1, 300, 5))
        yield from (market(1000 + i, SELL, 3, acct=i % 3) for i in range(20))

    first, second = new_engine(), new_engine()
    assert [first.apply(c) for c in stream()] == [second.apply(c) for c in stream()]


def test_codec_converts_exactly_or_refuses():
    spec = InstrumentSpec(Decimal("0.05"), Decimal("10"))
    assert spec.price_to_ticks(Decimal("100.15")) == 2003
    assert spec.price_to_ticks("100.1500") == 2003
    assert spec.ticks_to_price(2003) == Decimal("100.15")
    assert spec.qty_to_lots(Decimal("30")) == 3 and spec.lots_to_qty(3) == Decimal("30")
    with pytest.raises(GridError) as off_tick:
        spec.price_to_ticks(Decimal("100.17"))
    assert off_tick.value.reason == "off_tick"
    with pytest.raises(GridError) as off_lot:
        spec.qty_to_lots(Decimal("35"))
    assert off_lot.value.reason == "off_lot"
    for bad in (1.5, "abc", "NaN", None):
        with pytest.raises(GridError):
            spec.price_to_ticks(bad)
    with pytest.raises(ValueError):
        InstrumentSpec(Decimal("0"), Decimal("1"))


def test_off_grid_orders_are_rejected_at_the_engine_boundary():
    spec = InstrumentSpec(Decimal("0.01"), Decimal("1"))
    eng = new_engine()
    fields = dict(account_id=4, symbol=SYM, side="buy", qty=Decimal("2"))
    commands = [
        spec.new_order(order_id=1, price=Decimal("10.001"), **fields),
        spec.new_order(order_id=2, price=Decimal("10.01"), **{**fields, "qty": Decimal("2.5")}),
        spec.new_order(order_id=3, type="stop", stop_price=Decimal("9.999"), **fields),
        spec.new_order(order_id=4, price=Decimal("10.01"), time_in_force="day", **fields),
    ]
    assert commands[0] == RejectOrder(order_id=1, account_id=4, symbol=SYM, reason="off_tick")
    assert commands[3] == NewOrder(order_id=4, account_id=4, symbol=SYM, side=BUY, qty=2,
                                   price=1001, time_in_force=TIF.DAY)
    assert [eng.apply(c) for c in commands] == [
        [Rejected(SYM, 1, 1, 4, "off_tick")],
        [Rejected(SYM, 2, 2, 4, "off_lot")],
        [Rejected(SYM, 3, 3, 4, "off_tick")],
        [Accepted(SYM, 4, 4, 4), BookLevel(SYM, 5, BUY, 1001, 2)],
    ]


def test_engine_modules_import_nothing_but_the_standard_library_and_each_other():
    allowed = {"bisect", "collections", "dataclasses", "decimal", "enum", "types", "typing"}
    for path in ENGINE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = {node.module.split(".")[0]}
            else:
                continue
            assert names <= allowed, (path.name, names)


def test_modules_stay_small():
    for path in ENGINE_DIR.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name


def test_replace_and_cancel_commands_are_frozen():
    with pytest.raises(AttributeError):
        Replace(order_id=1, symbol=SYM).qty = 3
