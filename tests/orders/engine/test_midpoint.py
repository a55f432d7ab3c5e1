"""The dark pool: midpoint orders trade with each other at the lit midpoint, exact events."""

from orders.engine import (
    Accepted,
    Canceled,
    ExpireDay,
    Expired,
    MidpointTrade,
    NewOrder,
    OrderType,
    Rejected,
    Replaced,
    TimeInForce,
)

from .support import BUY, SELL, SYM, Halt, Invariants, Resume, cancel, limit, new_engine, replace, run


def mid(oid, side, qty, acct=1, cap=None, tif="gtc", min_qty=None, **kw):
    return NewOrder(order_id=oid, account_id=acct, symbol=SYM, side=side, qty=qty,
                    type=OrderType.MIDPOINT, time_in_force=tif, price=cap, min_qty=min_qty, **kw)


def lit(eng, bid=100, ask=103):
    """A lit book 100 x 103 (midpoint 101.5: 203 half ticks), accounts 90 and 91."""
    run(eng, limit(901, BUY, 10, bid, acct=90), limit(902, SELL, 10, ask, acct=91))


def trade(seq, tid, half, qty, side, maker, macct, taker, tacct, ml, tl):
    return MidpointTrade(SYM, seq, tid, half, qty, side, maker, macct, taker, tacct, ml, tl)


def test_two_midpoint_orders_trade_at_a_half_tick_midpoint_and_never_show_in_depth():
    eng = new_engine()
    lit(eng)
    assert run(eng, mid(1, BUY, 5, acct=1)) == [Accepted(SYM, 5, 1, 1)]
    assert eng.l2(SYM).bids == ((100, 10),) and eng.l1(SYM).bid == 100
    assert run(eng, mid(2, SELL, 3, acct=2)) == [
        Accepted(SYM, 6, 2, 2), trade(7, 1, 203, 3, SELL, 1, 1, 2, 2, 2, 0)]
    assert eng.open_order(1).leaves_qty == 2
    assert eng.l1(SYM).last is None  # a dark print is not the lit last price


def test_no_midpoint_trade_without_both_lit_sides_then_trades_when_the_midpoint_appears():
    eng = new_engine()
    run(eng, limit(901, BUY, 10, 100, acct=90), mid(1, BUY, 5, acct=1))
    assert run(eng, mid(2, SELL, 5, acct=2)) == [Accepted(SYM, 4, 2, 2)]
    events = run(eng, limit(902, SELL, 10, 102, acct=91))  # the lit ask arrives: mid 101
    assert events[-1] == trade(7, 1, 202, 5, SELL, 1, 1, 2, 2, 0, 0)
    assert eng.open_orders(SYM)[-1].order_id == 902


def test_a_cap_makes_an_order_wait_until_the_midpoint_moves_to_it():
    eng = new_engine()
    lit(eng)  # mid 101.5
    run(eng, mid(1, BUY, 5, acct=1, cap=101), mid(2, SELL, 5, acct=2))
    assert eng.open_order(1) is not None and eng.open_order(2) is not None
    events = run(eng, cancel(902))  # no ask: no midpoint
    assert [e.kind for e in events] == ["canceled", "book_level"]
    events = run(eng, limit(903, SELL, 10, 102, acct=91))  # mid 101: the cap allows it
    assert events[-1] == trade(events[-1].seq, 1, 202, 5, SELL, 1, 1, 2, 2, 0, 0)


def test_priority_is_the_most_willing_cap_then_time_and_min_qty_skips_small_fills():
    eng = new_engine()
    lit(eng)
    run(eng, mid(1, BUY, 5, acct=1, cap=102), mid(2, BUY, 5, acct=2),
        mid(3, BUY, 8, acct=3, min_qty=8), mid(4, BUY, 5, acct=4, cap=103))
    events = run(eng, mid(5, SELL, 12, acct=5))
    fills = [(e.maker_order_id, e.qty) for e in events if isinstance(e, MidpointTrade)]
    assert fills == [(2, 5), (4, 5), (1, 2)]  # uncapped first, then the higher cap; 3 wants 8
    assert [e.qty for e in run(eng, mid(6, SELL, 8, acct=6, min_qty=8))[1:]] == [8]  # with 3
    seq = eng.seq(SYM)
    assert run(eng, mid(7, SELL, 6, acct=7, min_qty=4)) == [Accepted(SYM, seq + 1, 7, 7)]  # 1: 3
    # 8 takes 4 of 7; 7 then has 2 left, under its minimum: it may fill them, with 1
    assert run(eng, mid(8, BUY, 4, acct=8)) == [
        Accepted(SYM, seq + 2, 8, 8), trade(seq + 3, 5, 203, 4, BUY, 7, 7, 8, 8, 2, 0),
        trade(seq + 4, 6, 203, 2, SELL, 1, 1, 7, 7, 1, 0)]


def test_self_trade_prevention_and_ioc_and_fok():
    eng = new_engine()
    lit(eng)
    run(eng, mid(1, BUY, 5, acct=1))
    assert run(eng, mid(2, SELL, 5, acct=1)) == [
        Accepted(SYM, 6, 2, 1), Canceled(SYM, 7, 1, 1, BUY, 5, 0, "self_trade")]
    assert run(eng, mid(3, BUY, 2, acct=2, tif="ioc")) == [
        Accepted(SYM, 8, 3, 2), trade(9, 1, 203, 2, BUY, 2, 1, 3, 2, 3, 0)]
    assert run(eng, mid(4, BUY, 9, acct=3, tif="ioc")) == [
        Accepted(SYM, 10, 4, 3), trade(11, 2, 203, 3, BUY, 2, 1, 4, 3, 0, 6),
        Expired(SYM, 12, 4, 3, BUY, 6, "ioc")]
    assert run(eng, mid(5, BUY, 1, tif="fok")) == [Rejected(SYM, 13, 5, 1, "invalid_tif", "new")]


def test_bad_midpoint_orders_are_refused():
    eng = new_engine()
    reasons = [run(eng, c)[0].reason for c in (
        mid(1, BUY, 5, post_only=True), mid(2, BUY, 5, min_qty=6), mid(3, BUY, 5, min_qty=0),
        mid(4, BUY, 5, cap=0), mid(5, BUY, 5, stop_price=100),
        limit(6, BUY, 5, 100, min_qty=1))]
    assert reasons == ["invalid_post_only", "invalid_min_qty", "invalid_min_qty",
                       "invalid_price", "invalid_stop_price", "invalid_min_qty"]


def test_cancel_replace_and_day_expiry_of_midpoint_orders():
    eng = new_engine()
    lit(eng)
    run(eng, mid(1, BUY, 5, acct=1, cap=101, tif="day"), mid(2, SELL, 5, acct=2, tif="day"))
    events = run(eng, replace(1, price=102))  # the new cap allows 101.5
    assert events == [Replaced(SYM, 7, 1, 1, BUY, 5, 5, 101, 102, 5, False),
                      trade(8, 1, 203, 5, BUY, 2, 2, 1, 1, 0, 0)]  # re-arrived: now the taker
    run(eng, mid(3, SELL, 5, acct=3, tif="day"), mid(4, BUY, 5, acct=4, cap=100))
    assert run(eng, cancel(4)) == [Canceled(SYM, 11, 4, 4, BUY, 5, 0, "user")]
    assert run(eng, ExpireDay(symbol=SYM)) == [Expired(SYM, 12, 3, 3, SELL, 5, "day")]


def test_halt_stops_the_pool_and_resume_matches_at_the_new_midpoint():
    eng = new_engine()
    lit(eng)
    run(eng, mid(1, BUY, 5, acct=1, cap=101), mid(2, SELL, 5, acct=2), Halt(symbol=SYM))
    assert [e.kind for e in run(eng, cancel(902))] == ["canceled", "book_level"]
    run(eng, Resume(symbol=SYM))  # no ask: nothing
    run(eng, Halt(symbol=SYM))
    assert run(eng, limit(903, SELL, 1, 102, acct=91))[0].reason == "halted"
    eng2 = new_engine()
    lit(eng2, 100, 102)
    run(eng2, mid(1, BUY, 5, acct=1, cap=100), mid(2, SELL, 5, acct=2), Halt(symbol=SYM),
        cancel(901), limit(903, BUY, 1, 99, acct=90))
    events = run(eng2, Resume(symbol=SYM))  # halted: refused; mid still 101
    assert [e.kind for e in events] == ["status_changed"]


def test_restore_rebuilds_the_pool_in_arrival_order():
    eng = new_engine()
    check = Invariants(eng)
    for c in (limit(901, BUY, 10, 100, acct=90), mid(1, SELL, 5, acct=1, cap=102),
              mid(2, BUY, 5, acct=2, min_qty=3), mid(3, SELL, 2, acct=3)):
        check.apply(c)
    copy = new_engine()
    copy.restore(SYM, eng.open_orders(SYM), seq=eng.seq(SYM), trade_seq=eng.trade_seq(SYM))
    assert copy.open_orders(SYM) == eng.open_orders(SYM)
    assert [o.min_qty for o in copy.open_orders(SYM)] == [None, None, 3, None]
    ask = limit(902, SELL, 10, 104, acct=91)  # mid 102: 1 is eligible (cap 102), 3 (2 < 3) not
    assert copy.apply(ask) == check.apply(ask)
    assert [(e.maker_order_id, e.taker_order_id, e.qty) for e in eng.apply(mid(4, SELL, 1, acct=4))
            if e.kind == "midpoint_trade"] == []


def test_wire_strings_take_the_general_path_with_the_same_events():
    def stream(side_b, side_s, tif):
        eng = new_engine()
        lit(eng)
        return [run(eng, mid(1, side_b, 5, acct=1, tif=tif, min_qty=2)),
                run(eng, mid(2, side_s, 3, acct=2, tif=tif))]

    assert stream(BUY, SELL, "gtc") == stream("buy", "sell", "gtc")
    assert stream(BUY, SELL, "gtc") == stream(BUY, SELL, TimeInForce.GTC)
