"""Cancel, cancel all, and replace."""

from orders.engine import BookLevel, CancelAll, Canceled, CancelRejected, Rejected, Replaced, Trade

from .support import BUY, SELL, SYM, cancel, limit, market, new_engine, replace, run, stop


def test_cancel_a_resting_order():
    eng = new_engine()
    run(eng, limit(1, BUY, 5, 100), limit(2, BUY, 3, 100, acct=2))
    assert eng.apply(cancel(1)) == [
        Canceled(SYM, 5, 1, 1, BUY, 5, 0, "user"),
        BookLevel(SYM, 6, BUY, 100, 3),
    ]
    assert eng.apply(cancel(2, acct=2)) == [
        Canceled(SYM, 7, 2, 2, BUY, 3, 0, "user"),
        BookLevel(SYM, 8, BUY, 100, 0),
    ]
    assert eng.l2(SYM).bids == ()


def test_cancel_of_an_order_that_is_not_open_is_refused_not_raised():
    eng = new_engine("XYZ", "ABC")
    run(eng, limit(1, SELL, 2, 100), limit(2, BUY, 2, 100, acct=2))  # 1 and 2 filled
    run(eng, limit(3, BUY, 1, 90, acct=2))
    assert eng.apply(cancel(1)) == [CancelRejected(SYM, 8, 1, None, "cancel", "unknown_order")]
    assert eng.apply(cancel(99)) == [CancelRejected(SYM, 9, 99, None, "cancel", "unknown_order")]
    # another account, another symbol, an unknown symbol: refused, order untouched
    assert eng.apply(cancel(3, acct=1)) == [
        CancelRejected(SYM, 10, 3, 1, "cancel", "unknown_order")]
    assert eng.apply(cancel(3, symbol="ABC")) == [
        CancelRejected("ABC", 1, 3, None, "cancel", "unknown_order")]
    assert eng.apply(cancel(3, symbol="NOPE")) == [
        CancelRejected("NOPE", 0, 3, None, "cancel", "unknown_symbol")]
    assert eng.open_order(3).leaves_qty == 1
    # canceling twice: the second is refused
    assert eng.apply(cancel(3))[0].kind == "canceled"
    assert eng.apply(cancel(3)) == [CancelRejected(SYM, 13, 3, None, "cancel", "unknown_order")]


def test_cancel_all_for_an_account_everywhere_or_in_one_symbol():
    eng = new_engine("AAA", "BBB")
    run(eng,
        limit(5, BUY, 1, 10, acct=1, symbol="AAA"),
        limit(2, SELL, 2, 20, acct=1, symbol="AAA"),
        limit(3, SELL, 3, 20, acct=2, symbol="AAA"),
        limit(1, BUY, 4, 10, acct=1, symbol="BBB"),
        stop(4, BUY, 1, 30, acct=1, symbol="AAA"))
    assert eng.apply(CancelAll(account_id=1, symbol="BBB")) == [
        Canceled("BBB", 3, 1, 1, BUY, 4, 0, "user"),
        BookLevel("BBB", 4, BUY, 10, 0),
    ]
    assert eng.apply(CancelAll(account_id=1)) == [
        Canceled("AAA", 8, 2, 1, SELL, 2, 0, "user"),
        BookLevel("AAA", 9, SELL, 20, 3),
        Canceled("AAA", 10, 4, 1, BUY, 1, 0, "user"),
        Canceled("AAA", 11, 5, 1, BUY, 1, 0, "user"),
        BookLevel("AAA", 12, BUY, 10, 0),
    ]
    assert eng.apply(CancelAll(account_id=1)) == []
    assert eng.open_order(3) is not None
    assert eng.apply(CancelAll(account_id=1, symbol="NOPE")) == [
        Rejected("NOPE", 0, None, 1, "unknown_symbol", "cancel_all")]


def test_replace_to_a_smaller_quantity_keeps_time_priority():
    eng = new_engine()
    run(eng, limit(1, SELL, 5, 100, acct=1), limit(2, SELL, 5, 100, acct=2))
    assert eng.apply(replace(1, qty=3)) == [
        Replaced(SYM, 5, 1, 1, SELL, 5, 3, 100, 100, 3, True),
        BookLevel(SYM, 6, SELL, 100, 8),
    ]
    fills = [e for e in eng.apply(limit(3, BUY, 4, 100, acct=3)) if isinstance(e, Trade)]
    assert [(t.maker_order_id, t.qty) for t in fills] == [(1, 3), (2, 1)]


def test_replace_to_a_larger_quantity_loses_time_priority():
    eng = new_engine()
    run(eng, limit(1, SELL, 5, 100, acct=1), limit(2, SELL, 5, 100, acct=2))
    assert eng.apply(replace(1, qty=6)) == [
        Replaced(SYM, 5, 1, 1, SELL, 5, 6, 100, 100, 6, False),
        BookLevel(SYM, 6, SELL, 100, 5),
        BookLevel(SYM, 7, SELL, 100, 11),
    ]
    fills = [e for e in eng.apply(limit(3, BUY, 6, 100, acct=3)) if isinstance(e, Trade)]
    assert [(t.maker_order_id, t.qty) for t in fills] == [(2, 5), (1, 1)]


def test_replace_qty_is_the_new_total_and_must_exceed_what_is_filled():
    eng = new_engine()
    run(eng, limit(1, SELL, 10, 100, acct=1), limit(2, BUY, 4, 100, acct=2))  # 4 filled
    assert eng.apply(replace(1, qty=4)) == [
        CancelRejected(SYM, 6, 1, None, "replace", "invalid_qty")]
    assert eng.apply(replace(1, qty=5)) == [
        Replaced(SYM, 7, 1, 1, SELL, 10, 5, 100, 100, 1, True),
        BookLevel(SYM, 8, SELL, 100, 1),
    ]
    assert eng.apply(replace(1, qty=0))[0].reason == "invalid_qty"


def test_replace_to_a_crossing_price_trades_like_a_new_order():
    eng = new_engine()
    run(eng, limit(1, SELL, 2, 101, acct=1), limit(2, BUY, 5, 99, acct=2))
    assert eng.apply(replace(2, price=101)) == [
        Replaced(SYM, 5, 2, 2, BUY, 5, 5, 99, 101, 5, False),
        BookLevel(SYM, 6, BUY, 99, 0),
        Trade(SYM, 7, 1, 101, 2, BUY, 1, 1, 2, 2, 0, 3),
        BookLevel(SYM, 8, SELL, 101, 0),
        BookLevel(SYM, 9, BUY, 101, 3),
    ]


def test_replace_of_an_order_that_is_no_longer_open_is_refused():
    eng = new_engine()
    run(eng, limit(1, SELL, 2, 101, acct=1), market(2, BUY, 2, acct=2))
    assert eng.apply(replace(1, qty=1)) == [
        CancelRejected(SYM, 6, 1, None, "replace", "unknown_order")]
    assert eng.apply(replace(2, qty=1)) == [
        CancelRejected(SYM, 7, 2, None, "replace", "unknown_order")]


def test_post_only_order_cannot_be_replaced_into_a_cross():
    eng = new_engine()
    run(eng, limit(1, SELL, 2, 101, acct=1), limit(2, BUY, 5, 99, acct=2, post_only=True))
    assert eng.apply(replace(2, price=101)) == [
        CancelRejected(SYM, 5, 2, None, "replace", "post_only_would_trade")]
    assert eng.apply(replace(2, price=100))[0] == Replaced(
        SYM, 6, 2, 2, BUY, 5, 5, 99, 100, 5, False)


def test_replace_a_held_stop():
    eng = new_engine()
    run(eng, stop(1, BUY, 3, 105, price=106), stop(2, BUY, 3, 105, price=106, acct=2))
    assert eng.apply(replace(1, qty=4, price=107)) == [
        Replaced(SYM, 3, 1, 1, BUY, 3, 4, 106, 107, 4, False)]
    assert eng.apply(replace(2, price=0)) == [
        CancelRejected(SYM, 4, 2, None, "replace", "invalid_price")]
    run(eng, stop(3, BUY, 3, 105))
    assert eng.apply(replace(3, price=110)) == [
        CancelRejected(SYM, 6, 3, None, "replace", "invalid_price")]  # a stop has no limit
    # 1 went to the back of the trigger queue when replaced: behind 2, ahead of 3
    run(eng, limit(10, SELL, 1, 105, acct=9), limit(11, SELL, 20, 107, acct=9))
    events = eng.apply(limit(12, BUY, 1, 105, acct=8))
    assert [e.order_id for e in events if e.kind == "stop_triggered"] == [2, 1, 3]
