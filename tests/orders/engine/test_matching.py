"""Limit and market orders: price-time priority, trade price, partial fills, depth."""

from orders.engine import Accepted, BookLevel, Expired, Rejected, Trade

from .support import BUY, SELL, SYM, cancel, limit, market, new_engine, run


def test_limit_order_rests_and_reports_its_level():
    eng = new_engine()
    assert eng.apply(limit(1, BUY, 10, 100)) == [
        Accepted(SYM, 1, 1, 1),
        BookLevel(SYM, 2, BUY, 100, 10),
    ]
    assert eng.apply(limit(2, BUY, 5, 100, acct=2)) == [
        Accepted(SYM, 3, 2, 2),
        BookLevel(SYM, 4, BUY, 100, 15),
    ]
    assert eng.apply(limit(3, SELL, 7, 101, acct=3)) == [
        Accepted(SYM, 5, 3, 3),
        BookLevel(SYM, 6, SELL, 101, 7),
    ]
    l1 = eng.l1(SYM)
    assert (l1.bid, l1.bid_qty, l1.ask, l1.ask_qty, l1.last, l1.seq) == (100, 15, 101, 7, None, 6)


def test_price_time_priority_and_trades_print_at_the_resting_price():
    eng = new_engine()
    run(eng, limit(1, SELL, 5, 101, acct=1), limit(2, SELL, 5, 100, acct=2),
        limit(3, SELL, 5, 100, acct=3))
    assert eng.seq(SYM) == 6
    events = eng.apply(limit(4, BUY, 12, 102, acct=4))
    assert events == [
        Accepted(SYM, 7, 4, 4),
        Trade(SYM, 8, 1, 100, 5, BUY, 2, 2, 4, 4, 0, 7),  # best price first,
        Trade(SYM, 9, 2, 100, 5, BUY, 3, 3, 4, 4, 0, 2),  # then time priority
        BookLevel(SYM, 10, SELL, 100, 0),
        Trade(SYM, 11, 3, 101, 2, BUY, 1, 1, 4, 4, 3, 0),  # at 101, not at the buyer's 102
        BookLevel(SYM, 12, SELL, 101, 3),
    ]
    assert eng.l1(SYM).last == 101
    assert eng.open_order(1).leaves_qty == 3
    assert eng.open_order(2) is None and eng.open_order(4) is None


def test_partial_fill_rests_the_remainder_at_its_limit():
    eng = new_engine()
    run(eng, limit(1, SELL, 4, 100, acct=1))
    assert eng.apply(limit(2, BUY, 10, 100, acct=2)) == [
        Accepted(SYM, 3, 2, 2),
        Trade(SYM, 4, 1, 100, 4, BUY, 1, 1, 2, 2, 0, 6),
        BookLevel(SYM, 5, SELL, 100, 0),
        BookLevel(SYM, 6, BUY, 100, 6),
    ]
    assert eng.open_order(2).leaves_qty == 6 and eng.open_order(2).qty == 10


def test_sell_aggressor_walks_down_the_bids():
    eng = new_engine()
    run(eng, limit(1, BUY, 3, 99, acct=1), limit(2, BUY, 3, 100, acct=2),
        limit(3, BUY, 3, 98, acct=3))
    assert eng.apply(limit(4, SELL, 5, 99, acct=4)) == [
        Accepted(SYM, 7, 4, 4),
        Trade(SYM, 8, 1, 100, 3, SELL, 2, 2, 4, 4, 0, 2),
        BookLevel(SYM, 9, BUY, 100, 0),
        Trade(SYM, 10, 2, 99, 2, SELL, 1, 1, 4, 4, 1, 0),
        BookLevel(SYM, 11, BUY, 99, 1),
    ]
    assert eng.l2(SYM).bids == ((99, 1), (98, 3))


def test_market_order_sweeps_and_expires_the_remainder():
    eng = new_engine()
    run(eng, limit(1, SELL, 2, 100, acct=1), limit(2, SELL, 3, 105, acct=2))
    assert eng.apply(market(3, BUY, 10, acct=3)) == [
        Accepted(SYM, 5, 3, 3),
        Trade(SYM, 6, 1, 100, 2, BUY, 1, 1, 3, 3, 0, 8),
        BookLevel(SYM, 7, SELL, 100, 0),
        Trade(SYM, 8, 2, 105, 3, BUY, 2, 2, 3, 3, 0, 5),
        BookLevel(SYM, 9, SELL, 105, 0),
        Expired(SYM, 10, 3, 3, BUY, 5, "market"),
    ]
    assert eng.open_order(3) is None


def test_market_order_into_an_empty_side_is_rejected():
    eng = new_engine()
    run(eng, limit(1, BUY, 2, 100))
    assert eng.apply(market(2, BUY, 1, acct=2)) == [Rejected(SYM, 3, 2, 2, "no_liquidity")]
    assert eng.apply(market(3, SELL, 1, acct=2)) == [
        Accepted(SYM, 4, 3, 2),
        Trade(SYM, 5, 1, 100, 1, SELL, 1, 1, 3, 2, 1, 0),
        BookLevel(SYM, 6, BUY, 100, 1),
    ]


def test_l2_depth_is_best_first_and_carries_its_seq():
    eng = new_engine()
    run(eng, *(limit(i, BUY, i, 90 + i) for i in range(1, 6)),
        *(limit(10 + i, SELL, i, 100 + i, acct=2) for i in range(1, 6)))
    l2 = eng.l2(SYM, depth=3)
    assert l2.seq == eng.seq(SYM) == 20
    assert l2.bids == ((95, 5), (94, 4), (93, 3))
    assert l2.asks == ((101, 1), (102, 2), (103, 3))
    assert len(eng.l2(SYM, depth=None).bids) == 5
    assert eng.l2(SYM, depth=0).bids == ()


def test_each_symbol_has_its_own_book_sequence_and_trade_ids():
    eng = new_engine("AAA", "BBB")
    assert eng.apply(limit(1, SELL, 1, 10, symbol="AAA"))[0].seq == 1
    assert eng.apply(limit(2, SELL, 1, 10, symbol="BBB"))[0].seq == 1
    trade = eng.apply(limit(3, BUY, 1, 10, acct=2, symbol="BBB"))[1]
    assert (trade.symbol, trade.seq, trade.trade_id) == ("BBB", 4, 1)
    assert eng.l1("AAA").ask == 10 and eng.l1("BBB").ask is None


def test_a_deep_level_survives_many_cancels_in_its_middle():
    """Cancels inside a level are lazy (and the queue compacts itself); matching, depth
    and the open orders must never see a canceled order."""
    eng = new_engine()
    run(eng, *(limit(i, SELL, 1, 100, acct=1) for i in range(1, 301)))
    canceled = [i for i in range(2, 300) if i % 4]  # leaves 1, 4, 8, ..., 300
    for n, oid in enumerate(canceled, 1):
        assert eng.apply(cancel(oid))[-1] == BookLevel(SYM, eng.seq(SYM), SELL, 100, 300 - n)
    left = [1] + list(range(4, 301, 4))
    assert eng.l2(SYM).asks == ((100, len(left)),)
    assert [o.order_id for o in eng.open_orders(SYM)] == left
    events = eng.apply(limit(5000, BUY, 3, 100, acct=2))
    assert [e.maker_order_id for e in events if isinstance(e, Trade)] == left[:3]
    assert eng.l2(SYM).asks == ((100, len(left) - 3),)
