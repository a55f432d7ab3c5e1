"""The market maker's pure decisions: quotes around the reference, skew, and the plan."""

from decimal import Decimal

from bots.quoting import (
    BUY,
    SELL,
    Cancel,
    MakerParams,
    OpenOrder,
    Place,
    Quote,
    Replace,
    desired_quotes,
    inventory_ratio,
    plan,
)

D = Decimal
TICK, LOT = D("0.01"), D("1")
PARAMS = MakerParams(spread_bps=D("10"), levels=2, level_spacing_bps=D("10"), order_qty=D("100"),
                     max_inventory=D("1000"), skew_bps=D("20"), requote_ticks=1)


def quotes(reference="100.00", ratio="0", **changes):
    changes = {k: D(v) if isinstance(v, str) else v for k, v in changes.items()}
    params = MakerParams(**{**PARAMS.__dict__, **changes})
    return desired_quotes(reference=D(reference), tick=TICK, lot=LOT, ratio=D(ratio), params=params)


def test_flat_inventory_quotes_symmetrically_on_the_tick_grid():
    assert quotes() == [
        Quote(BUY, 0, D("99.95"), D(100)), Quote(SELL, 0, D("100.05"), D(100)),
        Quote(BUY, 1, D("99.85"), D(100)), Quote(SELL, 1, D("100.15"), D(100)),
    ]


def test_bids_round_down_and_asks_up_and_never_touch():
    got = quotes(reference="14.003", spread_bps="1", levels=1)
    assert got == [Quote(BUY, 0, D("14.00"), D(100)), Quote(SELL, 0, D("14.01"), D(100))]
    tight = quotes(reference="100.00", spread_bps="0.001", levels=1)
    assert tight[1].price - tight[0].price >= TICK


def test_long_inventory_shifts_quotes_down_and_shrinks_the_bid():
    flat, long_ = quotes(levels=1), quotes(levels=1, ratio="0.5")
    assert long_[0].price < flat[0].price and long_[1].price < flat[1].price
    assert long_[0].qty == D(50) and long_[1].qty == D(100)
    short = quotes(levels=1, ratio="-1")
    assert short[0].price > flat[0].price and short[1].qty == LOT  # never below one lot


def test_quotes_outside_the_band_are_left_out():
    got = desired_quotes(reference=D("100"), tick=TICK, lot=LOT, ratio=D(0), params=PARAMS,
                         band=(D("99.90"), D("100.10")))
    assert [(q.side, q.level) for q in got] == [(BUY, 0), (SELL, 0)]


def test_inventory_ratio_is_clamped():
    assert inventory_ratio(position=D(1500), target=D(1000), max_inventory=D(1000)) == D("0.5")
    assert inventory_ratio(position=D(0), target=D(5000), max_inventory=D(1000)) == D(-1)
    assert inventory_ratio(position=D(9), target=D(0), max_inventory=D(0)) == 0


def order(id, side, level, price, qty="100", filled="0", status="new", replace_pending=False):
    return OpenOrder(id=id, side=side, level=level, price=D(price), qty=D(qty), filled_qty=D(filled), status=status,
                     replace_pending=replace_pending)


def test_nothing_open_places_every_quote():
    desired = quotes(levels=1)
    assert plan(desired=desired, orders=[], tick=TICK) == [Place(desired[0]), Place(desired[1])]


def test_a_move_within_the_requote_threshold_changes_nothing():
    desired = quotes(levels=1)  # 99.95 / 100.05
    orders = [order(1, BUY, 0, "99.94"), order(2, SELL, 0, "100.06")]
    assert plan(desired=desired, orders=orders, tick=TICK) == []


def test_a_move_up_replaces_the_ask_first_then_the_bid():
    desired = quotes(reference="100.50", levels=1)  # 100.44 / 100.56
    orders = [order(1, BUY, 0, "99.95"), order(2, SELL, 0, "100.05")]
    assert plan(desired=desired, orders=orders, tick=TICK) == [
        Replace(2, desired[1], D(100)), Replace(1, desired[0], D(100))]


def test_a_move_down_replaces_the_bid_first():
    desired = quotes(reference="99.50", levels=1)
    orders = [order(1, BUY, 0, "99.95"), order(2, SELL, 0, "100.05")]
    actions = plan(desired=desired, orders=orders, tick=TICK)
    assert [a.order_id for a in actions] == [1, 2]


def test_a_mostly_filled_quote_is_topped_up_keeping_its_fills():
    desired = quotes(levels=1)
    orders = [order(1, BUY, 0, "99.95", qty="100", filled="70"), order(2, SELL, 0, "100.05")]
    assert plan(desired=desired, orders=orders, tick=TICK) == [Replace(1, desired[0], D(170))]


def test_orders_the_engine_is_working_on_are_left_alone():
    desired = quotes(reference="101", levels=1)
    orders = [order(1, BUY, 0, "99.95", status="accepted"), order(2, SELL, 0, "100.05", replace_pending=True),
              order(3, BUY, 0, "99.00", status="pending_cancel")]
    assert plan(desired=desired, orders=orders, tick=TICK) == []


def test_duplicates_and_unwanted_levels_are_cancelled_first():
    desired = quotes(levels=1)
    orders = [order(1, BUY, 0, "99.95"), order(2, BUY, 0, "99.95"), order(3, SELL, 0, "100.05"),
              order(4, SELL, 1, "100.15"), order(5, SELL, 10**6, "100.20")]
    assert plan(desired=desired, orders=orders, tick=TICK) == [
        Cancel(2, "duplicate"), Cancel(4, "not wanted"), Cancel(5, "not wanted")]
