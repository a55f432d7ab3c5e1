"""The benchmark's own pieces: the baseline book is a correct (if minimal) book, and the
workloads are the same every time."""

import importlib.util
import sys
from pathlib import Path

from orders.engine import MatchingEngine, NewOrder, OrderType, Side, Trade

ROOT = Path(__file__).resolve().parents[2]  # the repository


def load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_workloads_are_deterministic_and_have_the_specified_mix():
    bench = load("engine")
    first = bench.generate("thin", n=5000)
    assert first == bench.generate("thin", n=5000)
    kinds = [c[0] for c in first]
    assert abs(kinds.count("limit") / 5000 - 0.60) < 0.03
    assert abs(kinds.count("cancel") / 5000 - 0.25) < 0.03
    assert abs(kinds.count("market") / 5000 - 0.15) < 0.03
    deep = bench.generate("deep", n=5000)
    buys = [c[4] for c in deep if c[0] == "limit" and c[3] == "buy"]
    sells = [c[4] for c in deep if c[0] == "limit" and c[3] == "sell"]
    assert (min(buys), max(buys), min(sells), max(sells)) == (9980, 10002, 9998, 10020)


def test_baseline_trades_like_the_engine_when_no_account_trades_with_itself():
    base = load("baseline_book").BaselineBook()
    eng = MatchingEngine()
    eng.add_symbol("B")
    fills = []

    def on_engine(cmd):
        fills.extend((e.maker_order_id, e.taker_order_id, e.price, e.qty)
                     for e in eng.apply(cmd) if isinstance(e, Trade))

    bench = load("engine")
    for i, c in enumerate(bench.generate("deep", n=4000)):
        if c[0] == "limit":
            base.limit(c[1], c[3], c[4], c[5])
            on_engine(NewOrder(order_id=c[1], account_id=c[1], symbol="B", side=Side(c[3]),
                               price=c[4], qty=c[5]))
        elif c[0] == "market":
            base.market(c[1], c[3], c[4])
            on_engine(NewOrder(order_id=c[1], account_id=c[1], symbol="B", side=Side(c[3]),
                               qty=c[4], type=OrderType.MARKET))
        else:
            base.cancel(c[1])
            on_engine(bench.Cancel(order_id=c[1], symbol="B"))
    assert fills, "the workload trades"
    base_open = [(o.order_id, o.qty) for o in base.open_orders()]
    assert base_open == [(o.order_id, o.leaves_qty) for o in eng.open_orders("B")]
