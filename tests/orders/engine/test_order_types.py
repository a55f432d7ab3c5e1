"""IOC, FOK, post-only, stop and stop-limit orders, DAY expiry."""

from orders.engine import Accepted, BookLevel, Canceled, Expired, ExpireDay, Rejected, StopTriggered, Trade
from orders.engine import TimeInForce as TIF

from .support import BUY, SELL, SYM, cancel, limit, market, new_engine, run, stop

# -- IOC and FOK ----------------------------------------------------------------------------

def test_ioc_trades_what_it_can_and_expires_the_rest():
    eng = new_engine()
    run(eng, limit(1, SELL, 3, 100, acct=1))
    assert eng.apply(limit(2, BUY, 5, 101, acct=2, time_in_force=TIF.IOC)) == [
        Accepted(SYM, 3, 2, 2),
        Trade(SYM, 4, 1, 100, 3, BUY, 1, 1, 2, 2, 0, 2),
        BookLevel(SYM, 5, SELL, 100, 0),
        Expired(SYM, 6, 2, 2, BUY, 2, "ioc"),
    ]
    assert eng.apply(limit(3, BUY, 5, 101, acct=2, time_in_force=TIF.IOC)) == [
        Accepted(SYM, 7, 3, 2),
        Expired(SYM, 8, 3, 2, BUY, 5, "ioc"),
    ]
    assert eng.l2(SYM).bids == ()


def test_fok_that_cannot_fill_completely_does_not_trade_at_all():
    eng = new_engine()
    run(eng, limit(1, SELL, 3, 100, acct=1), limit(2, SELL, 3, 102, acct=1))
    assert eng.apply(limit(3, BUY, 5, 101, acct=2, time_in_force=TIF.FOK)) == [
        Accepted(SYM, 5, 3, 2),
        Expired(SYM, 6, 3, 2, BUY, 5, "fok"),
    ]
    assert eng.l2(SYM).asks == ((100, 3), (102, 3))
    assert eng.apply(limit(4, BUY, 6, 102, acct=2, time_in_force=TIF.FOK)) == [
        Accepted(SYM, 7, 4, 2),
        Trade(SYM, 8, 1, 100, 3, BUY, 1, 1, 4, 2, 0, 3),
        BookLevel(SYM, 9, SELL, 100, 0),
        Trade(SYM, 10, 2, 102, 3, BUY, 2, 1, 4, 2, 0, 0),
        BookLevel(SYM, 11, SELL, 102, 0),
    ]


def test_fok_does_not_count_own_orders_that_self_trade_prevention_would_cancel():
    eng = new_engine()
    run(eng, limit(1, SELL, 4, 100, acct=7), limit(2, SELL, 2, 100, acct=1))
    # Only 2 lots of other accounts: the FOK dies and the own resting order survives.
    assert eng.apply(limit(3, BUY, 3, 100, acct=7, time_in_force=TIF.FOK)) == [
        Accepted(SYM, 5, 3, 7),
        Expired(SYM, 6, 3, 7, BUY, 3, "fok"),
    ]
    assert eng.open_order(1).leaves_qty == 4
    # 2 lots fill completely: the own order is canceled on the way (cancel_resting).
    assert eng.apply(limit(4, BUY, 2, 100, acct=7, time_in_force=TIF.FOK)) == [
        Accepted(SYM, 7, 4, 7),
        Canceled(SYM, 8, 1, 7, SELL, 4, 0, "self_trade"),
        Trade(SYM, 9, 1, 100, 2, BUY, 2, 1, 4, 7, 0, 0),
        BookLevel(SYM, 10, SELL, 100, 0),
    ]


def test_fok_market_order():
    eng = new_engine()
    run(eng, limit(1, BUY, 2, 100, acct=1))
    assert eng.apply(market(2, SELL, 3, acct=2, time_in_force=TIF.FOK)) == [
        Accepted(SYM, 3, 2, 2),
        Expired(SYM, 4, 2, 2, SELL, 3, "fok"),
    ]
    assert eng.apply(market(3, SELL, 2, acct=2, time_in_force=TIF.FOK))[1] == Trade(
        SYM, 6, 1, 100, 2, SELL, 1, 1, 3, 2, 0, 0)


# -- post-only -------------------------------------------------------------------------------

def test_post_only_rests_when_it_does_not_cross_and_is_rejected_when_it_would():
    eng = new_engine()
    run(eng, limit(1, SELL, 3, 100, acct=1))
    assert eng.apply(limit(2, BUY, 3, 99, acct=2, post_only=True)) == [
        Accepted(SYM, 3, 2, 2),
        BookLevel(SYM, 4, BUY, 99, 3),
    ]
    assert eng.apply(limit(3, BUY, 3, 100, acct=2, post_only=True)) == [
        Rejected(SYM, 5, 3, 2, "post_only_would_trade"),
    ]
    assert eng.apply(limit(4, SELL, 1, 99, acct=2, post_only=True)) == [
        Rejected(SYM, 6, 4, 2, "post_only_would_trade"),
    ]
    assert eng.open_order(1).leaves_qty == 3 and eng.open_order(3) is None


def test_post_only_is_only_for_resting_limit_orders():
    eng = new_engine()
    assert eng.apply(limit(1, BUY, 3, 99, post_only=True, time_in_force=TIF.IOC)) == [
        Rejected(SYM, 1, 1, 1, "invalid_post_only")]
    assert eng.apply(market(2, BUY, 3, post_only=True)) == [
        Rejected(SYM, 2, 2, 1, "invalid_post_only")]


# -- stops -----------------------------------------------------------------------------------

def test_buy_stop_is_held_until_the_last_trade_reaches_it_then_enters_as_market():
    eng = new_engine()
    run(eng, limit(1, SELL, 1, 100, acct=1), limit(2, SELL, 5, 105, acct=1))
    assert eng.apply(stop(3, BUY, 4, 101, acct=2)) == [Accepted(SYM, 5, 3, 2)]
    assert eng.l2(SYM).bids == () and eng.open_order(3).stop_price == 101
    # a trade at 100 does not reach 101
    run(eng, limit(4, BUY, 1, 100, acct=3))
    assert eng.open_order(3) is not None
    run(eng, limit(5, SELL, 1, 101, acct=1))
    assert eng.apply(limit(6, BUY, 1, 101, acct=3)) == [
        Accepted(SYM, 11, 6, 3),
        Trade(SYM, 12, 2, 101, 1, BUY, 5, 1, 6, 3, 0, 0),
        BookLevel(SYM, 13, SELL, 101, 0),
        StopTriggered(SYM, 14, 3, 2, BUY, 101, 101),
        Trade(SYM, 15, 3, 105, 4, BUY, 2, 1, 3, 2, 1, 0),
        BookLevel(SYM, 16, SELL, 105, 1),
    ]


def test_sell_stop_limit_rests_at_its_limit_after_triggering():
    eng = new_engine()
    run(eng, limit(1, BUY, 2, 100, acct=1), limit(2, BUY, 2, 98, acct=1))
    assert eng.apply(stop(3, SELL, 5, 100, price=99, acct=2)) == [Accepted(SYM, 5, 3, 2)]
    assert eng.apply(market(4, SELL, 1, acct=3)) == [
        Accepted(SYM, 6, 4, 3),
        Trade(SYM, 7, 1, 100, 1, SELL, 1, 1, 4, 3, 1, 0),
        BookLevel(SYM, 8, BUY, 100, 1),
        StopTriggered(SYM, 9, 3, 2, SELL, 100, 100),
        Trade(SYM, 10, 2, 100, 1, SELL, 1, 1, 3, 2, 0, 4),
        BookLevel(SYM, 11, BUY, 100, 0),
        BookLevel(SYM, 12, SELL, 99, 4),  # 98 is below its limit: the rest rests at 99
    ]
    rec = eng.open_order(3)
    assert (rec.triggered, rec.price, rec.leaves_qty) == (True, 99, 4)


def test_stops_trigger_in_arrival_order_and_cascade():
    eng = new_engine()
    run(eng, limit(1, BUY, 1, 100, acct=1), limit(2, BUY, 1, 99, acct=1),
        limit(3, BUY, 1, 98, acct=1), limit(4, BUY, 5, 90, acct=1))
    run(eng, stop(5, SELL, 1, 99, acct=2),  # triggered by the print at 100? no: 100 > 99
        stop(6, SELL, 1, 100, acct=3),
        stop(7, SELL, 1, 100, acct=4))
    events = eng.apply(market(8, SELL, 1, acct=5))
    assert [(e.kind, getattr(e, "order_id", None), getattr(e, "price", None)) for e in events
            if e.kind != "book_level"] == [
        ("accepted", 8, None),
        ("trade", None, 100),  # prints 100: stops 6 and 7 (stop 100) trigger, in arrival order
        ("stop_triggered", 6, None),
        ("trade", None, 99),  # stop 6 prints 99: stop 5 (stop 99) triggers, queued after 7
        ("stop_triggered", 7, None),
        ("trade", None, 98),
        ("stop_triggered", 5, None),
        ("trade", None, 90),
    ]
    assert [e.trigger_price for e in events if e.kind == "stop_triggered"] == [100, 100, 99]
    assert eng.l2(SYM).bids == ((90, 4),)


def test_a_stop_that_is_already_reached_triggers_at_once():
    eng = new_engine()
    run(eng, limit(1, SELL, 1, 100, acct=1), limit(2, BUY, 1, 100, acct=2),
        limit(3, SELL, 2, 103, acct=1))
    assert eng.l1(SYM).last == 100
    assert eng.apply(stop(4, BUY, 1, 95, acct=2)) == [
        Accepted(SYM, 8, 4, 2),
        StopTriggered(SYM, 9, 4, 2, BUY, 95, 100),
        Trade(SYM, 10, 2, 103, 1, BUY, 3, 1, 4, 2, 1, 0),
        BookLevel(SYM, 11, SELL, 103, 1),
    ]


def test_triggered_stop_market_into_an_empty_side_expires():
    eng = new_engine()
    run(eng, limit(1, SELL, 1, 100, acct=1), stop(2, BUY, 3, 100, acct=2))
    assert eng.apply(limit(3, BUY, 1, 100, acct=3)) == [
        Accepted(SYM, 4, 3, 3),
        Trade(SYM, 5, 1, 100, 1, BUY, 1, 1, 3, 3, 0, 0),
        BookLevel(SYM, 6, SELL, 100, 0),
        StopTriggered(SYM, 7, 2, 2, BUY, 100, 100),
        Expired(SYM, 8, 2, 2, BUY, 3, "no_liquidity"),
    ]


def test_held_stops_can_be_canceled_without_touching_the_book():
    eng = new_engine()
    run(eng, stop(1, BUY, 3, 100))
    assert eng.apply(cancel(1)) == [Canceled(SYM, 2, 1, 1, BUY, 3, 0, "user")]
    assert eng.open_order(1) is None


def test_stop_orders_need_a_stop_price_and_the_right_limit():
    eng = new_engine()
    bad = [
        stop(1, BUY, 1, None),
        stop(2, BUY, 1, 0),
        stop(3, BUY, 1, 100, price=0),
        limit(4, BUY, 1, 100, stop_price=99),
    ]
    assert [eng.apply(c)[0].reason for c in bad] == [
        "invalid_stop_price", "invalid_stop_price", "invalid_price", "invalid_stop_price"]


# -- DAY -------------------------------------------------------------------------------------

def test_expire_day_expires_day_orders_only_in_order_id_order():
    eng = new_engine("AAA", "BBB")
    run(eng,
        limit(3, BUY, 1, 100, symbol="AAA", time_in_force=TIF.DAY),
        limit(1, BUY, 2, 99, symbol="AAA", time_in_force=TIF.DAY),
        limit(2, BUY, 3, 98, symbol="AAA"),
        stop(4, BUY, 4, 120, symbol="AAA", time_in_force=TIF.DAY),
        limit(5, SELL, 5, 50, symbol="BBB", time_in_force=TIF.DAY))
    assert eng.apply(ExpireDay(symbol="AAA")) == [
        Expired("AAA", 8, 1, 1, BUY, 2, "day"),
        BookLevel("AAA", 9, BUY, 99, 0),
        Expired("AAA", 10, 3, 1, BUY, 1, "day"),
        BookLevel("AAA", 11, BUY, 100, 0),
        Expired("AAA", 12, 4, 1, BUY, 4, "day"),
    ]
    assert eng.open_order(2) is not None and eng.open_order(5) is not None
    assert eng.apply(ExpireDay()) == [
        Expired("BBB", 3, 5, 1, SELL, 5, "day"),
        BookLevel("BBB", 4, SELL, 50, 0),
    ]
    assert eng.apply(ExpireDay()) == []
