"""Self-trade prevention: an incoming order never trades with its own account's orders."""

from orders.engine import Accepted, BookLevel, Canceled, StpMode, Trade

from .support import BUY, SELL, SYM, limit, new_engine, run


def book_with_own_order_ahead():
    """Account 1 rests 3 @ 100 ahead of account 2's 4 @ 100."""
    eng = new_engine()
    run(eng, limit(1, SELL, 3, 100, acct=1), limit(2, SELL, 4, 100, acct=2))
    return eng


def test_default_cancels_the_resting_order_and_goes_on():
    eng = book_with_own_order_ahead()
    assert eng.apply(limit(3, BUY, 5, 100, acct=1)) == [
        Accepted(SYM, 5, 3, 1),
        Canceled(SYM, 6, 1, 1, SELL, 3, 0, "self_trade"),
        Trade(SYM, 7, 1, 100, 4, BUY, 2, 2, 3, 1, 0, 1),
        BookLevel(SYM, 8, SELL, 100, 0),
        BookLevel(SYM, 9, BUY, 100, 1),
    ]


def test_cancel_incoming():
    eng = book_with_own_order_ahead()
    assert eng.apply(limit(3, BUY, 5, 100, acct=1, stp=StpMode.CANCEL_INCOMING)) == [
        Accepted(SYM, 5, 3, 1),
        Canceled(SYM, 6, 3, 1, BUY, 5, 0, "self_trade"),
    ]
    assert eng.l2(SYM).asks == ((100, 7),)


def test_cancel_both():
    eng = book_with_own_order_ahead()
    assert eng.apply(limit(3, BUY, 5, 100, acct=1, stp=StpMode.CANCEL_BOTH)) == [
        Accepted(SYM, 5, 3, 1),
        Canceled(SYM, 6, 1, 1, SELL, 3, 0, "self_trade"),
        Canceled(SYM, 7, 3, 1, BUY, 5, 0, "self_trade"),
        BookLevel(SYM, 8, SELL, 100, 4),
    ]


def test_decrement_when_the_incoming_order_is_larger():
    eng = book_with_own_order_ahead()
    assert eng.apply(limit(3, BUY, 5, 100, acct=1, stp=StpMode.DECREMENT)) == [
        Accepted(SYM, 5, 3, 1),
        Canceled(SYM, 6, 1, 1, SELL, 3, 0, "self_trade"),
        Canceled(SYM, 7, 3, 1, BUY, 3, 2, "self_trade"),  # reduced, still 2 open
        Trade(SYM, 8, 1, 100, 2, BUY, 2, 2, 3, 1, 2, 0),
        BookLevel(SYM, 9, SELL, 100, 2),
    ]


def test_decrement_when_the_resting_order_is_larger():
    eng = book_with_own_order_ahead()
    assert eng.apply(limit(3, BUY, 2, 100, acct=1, stp=StpMode.DECREMENT)) == [
        Accepted(SYM, 5, 3, 1),
        Canceled(SYM, 6, 1, 1, SELL, 2, 1, "self_trade"),  # keeps 1 open, and its place
        Canceled(SYM, 7, 3, 1, BUY, 2, 0, "self_trade"),
        BookLevel(SYM, 8, SELL, 100, 5),
    ]
    assert [o.order_id for o in eng.open_orders(SYM)] == [1, 2]
    assert eng.open_order(1).leaves_qty == 1


def test_engine_wide_default_mode():
    eng = new_engine(stp_mode=StpMode.CANCEL_INCOMING)
    run(eng, limit(1, SELL, 3, 100, acct=1))
    assert eng.apply(limit(2, BUY, 1, 100, acct=1))[1] == Canceled(
        SYM, 4, 2, 1, BUY, 1, 0, "self_trade")
    assert eng.open_order(1).stp == StpMode.CANCEL_INCOMING


def test_own_orders_of_other_accounts_are_not_affected():
    eng = book_with_own_order_ahead()
    events = eng.apply(limit(3, BUY, 3, 100, acct=9))
    assert [e.kind for e in events] == ["accepted", "trade", "book_level"]
