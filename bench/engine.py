"""Benchmark of the matching engine against a minimal baseline book.

Two workloads of 200,000 commands on one symbol, generated from a fixed seed:

* thin: 60% limit orders priced uniformly within +-20 ticks of 10000, qty 1-100;
  25% cancels of random live orders; 15% market orders.
* deep: the same mix, buys priced 9980-10002 and sells 9998-10020 (10,000+ rest).
* dark: thin with 10% midpoint orders (the other kinds scaled to 90%): half uncapped, half
  capped at a price drawn like a limit price, one in five with a minimum quantity. The
  baseline's dark pool is as minimal as its book: a FIFO deque per side, matched at entry
  against the head orders whose cap allows the midpoint, no minimum quantity, no re-check
  when the midpoint moves.

Three implementations: the engine as compiled by mypyc (``make build-engine``; skipped,
and said so, when the extension modules are not built), the same engine interpreted from
its ``.py`` files (the child process installs ``SourceOnly`` before importing it, so the
extension modules next to the sources are ignored), and the baseline. Each child process
reports which build it loaded (``orders.engine.COMPILED``) and the parent checks it.

For each workload, 3 runs of each implementation, alternating, each in a fresh process
that first does a warm-up run on a fresh book; the median commands per second is printed,
with the ratios engine/baseline and the memory per resting order (tracemalloc: a fresh book
holding the workload's final resting orders, minus an empty book, divided by their count;
meaningless when only a handful rest, as in "thin", where a level's fixed cost dominates).

Run: ``.venv/bin/python bench/engine.py`` (or ``make bench-engine``) from the repo root.
"""

import gc
import importlib.abc
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


class SourceOnly(importlib.abc.MetaPathFinder):
    """Imports ``orders.engine.*`` from the ``.py`` files even when compiled extension
    modules sit next to them (the normal path finder prefers the extension module)."""

    PREFIX = "orders.engine."

    def find_spec(self, name, path=None, target=None):
        if not name.startswith(self.PREFIX):
            return None
        source = os.path.join(ROOT, "orders", "engine", name[len(self.PREFIX):] + ".py")
        if not os.path.isfile(source):
            return None
        return importlib.util.spec_from_file_location(name, source)  # a SourceFileLoader

    @classmethod
    def install(cls):
        if "orders.engine" in sys.modules:
            raise RuntimeError("orders.engine is already imported")
        sys.meta_path.insert(0, cls())


# A child measuring the interpreted engine: the finder goes in before the first import.
if __name__ == "__main__" and sys.argv[1:3] == ["--one", "interpreted"]:
    SourceOnly.install()

import orders.engine  # noqa: E402
from bench.baseline_book import BaselineBook  # noqa: E402
from orders.engine import Cancel, MatchingEngine, NewOrder, OrderType, Side  # noqa: E402

SEED = 20240611
# `--smoke` (the test suite): a few thousand commands, one run each, to prove the benchmark runs.
SMOKE = "--smoke" in sys.argv
N_COMMANDS = 5_000 if SMOKE else 200_000
RUNS = 1 if SMOKE else 3
SYMBOL = "BENCH"
ACCOUNTS = 200  # accounts placing orders: self-trade prevention is exercised now and then

WORKLOADS = {
    "thin": ((9980, 10020), (9980, 10020)),  # (buy price range, sell price range), inclusive
    "deep": ((9980, 10002), (9998, 10020)),
    "dark": ((9980, 10020), (9980, 10020)),
}
MIDPOINT_SHARE = {"dark": 0.10}


def generate(name, seed=SEED, n=N_COMMANDS):
    """Workload as neutral tuples: ("limit", id, account, side, price, qty),
    ("market", id, account, side, qty), ("cancel", id), ("midpoint", id, account, side, cap,
    qty, min_qty). Cancels pick a random order that is live at that point, found by running
    the stream through a baseline book."""
    rng = random.Random(f"{seed}-{name}")
    (buy_lo, buy_hi), (sell_lo, sell_hi) = WORKLOADS[name]
    dark = MIDPOINT_SHARE.get(name, 0.0)
    sim = BaselineBook()
    candidates = []  # ids ever rested; dead ones are dropped lazily when picked
    out = []
    next_id = 1
    while len(out) < n:
        r = rng.random()
        if r < dark:
            side = "buy" if rng.random() < 0.5 else "sell"
            cap = None
            if rng.random() < 0.5:
                cap = rng.randint(buy_lo, buy_hi) if side == "buy" else rng.randint(sell_lo, sell_hi)
            qty = rng.randint(1, 100)
            min_qty = rng.randint(1, qty) if rng.random() < 0.2 else None
            cmd = ("midpoint", next_id, rng.randint(1, ACCOUNTS), side, cap, qty, min_qty)
            sim.midpoint(next_id, side, cap, qty)
            if next_id in sim.orders:
                candidates.append(next_id)
            next_id += 1
            out.append(cmd)
            continue
        r = (r - dark) / (1 - dark)  # the lit mix, scaled to the rest
        if r < 0.60:
            side = "buy" if rng.random() < 0.5 else "sell"
            price = rng.randint(buy_lo, buy_hi) if side == "buy" else rng.randint(sell_lo, sell_hi)
            cmd = ("limit", next_id, rng.randint(1, ACCOUNTS), side, price, rng.randint(1, 100))
            sim.limit(next_id, side, price, cmd[5])
            if next_id in sim.orders:
                candidates.append(next_id)
            next_id += 1
        elif r < 0.85:
            oid = None
            while candidates:
                i = rng.randrange(len(candidates))
                pick = candidates[i]
                candidates[i] = candidates[-1]
                candidates.pop()
                if pick in sim.orders:
                    oid = pick
                    break
            if oid is None:
                continue  # nothing live to cancel: draw again
            sim.cancel(oid)
            cmd = ("cancel", oid)
        else:
            side = "buy" if rng.random() < 0.5 else "sell"
            cmd = ("market", next_id, rng.randint(1, ACCOUNTS), side, rng.randint(1, 100))
            sim.market(next_id, side, cmd[4])
            next_id += 1
        out.append(cmd)
    return out


SIDES = {"buy": Side.BUY, "sell": Side.SELL}


def engine_commands(workload):
    cmds = []
    for w in workload:
        if w[0] == "limit":
            cmds.append(NewOrder(order_id=w[1], account_id=w[2], symbol=SYMBOL, side=SIDES[w[3]],
                                 price=w[4], qty=w[5]))
        elif w[0] == "market":
            cmds.append(NewOrder(order_id=w[1], account_id=w[2], symbol=SYMBOL, side=SIDES[w[3]],
                                 qty=w[4], type=OrderType.MARKET))
        elif w[0] == "midpoint":
            cmds.append(NewOrder(order_id=w[1], account_id=w[2], symbol=SYMBOL, side=SIDES[w[3]],
                                 price=w[4], qty=w[5], min_qty=w[6], type=OrderType.MIDPOINT))
        else:
            cmds.append(Cancel(order_id=w[1], symbol=SYMBOL))
    return cmds


def baseline_commands(workload):
    cmds = []
    for w in workload:
        if w[0] == "limit":
            cmds.append(("limit", w[1], w[3], w[4], w[5]))
        elif w[0] == "market":
            cmds.append(("market", w[1], w[3], w[4]))
        elif w[0] == "midpoint":
            cmds.append(("midpoint", w[1], w[3], w[4], w[5]))
        else:
            cmds.append(w)
    return cmds


def new_engine():
    eng = MatchingEngine()
    eng.add_symbol(SYMBOL)
    return eng


def run_engine(cmds):
    eng = new_engine()
    apply = eng.apply
    t0 = time.perf_counter()
    for c in cmds:
        apply(c)
    return time.perf_counter() - t0, eng


def run_baseline(cmds):
    book = BaselineBook()
    apply = book.apply
    t0 = time.perf_counter()
    for c in cmds:
        apply(c)
    return time.perf_counter() - t0, book


def timed(runner, cmds):
    """Commands per second of one run after a warm-up run, and the final state."""
    runner(cmds)  # warm-up
    gc.collect()
    elapsed, state = runner(cmds)
    return len(cmds) / elapsed, state


def _traced(build):
    """Bytes held by what build() returns, counted by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    keep = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del keep
    return after - before


def bytes_per_order(resting, fill):
    """(bytes with the resting orders - bytes of the empty book) / count. Order ids and
    prices are computed inside the traced region, so their int objects count too (as for
    orders decoded from the bus)."""
    base_id = 10**9

    def full():
        return fill(resting, base_id)

    def empty():
        return fill([], base_id)

    return (_traced(full) - _traced(empty)) / max(len(resting), 1)


def fill_engine(resting, base_id):
    eng = new_engine()
    apply = eng.apply
    for i, (side, price, qty) in enumerate(resting):
        apply(NewOrder(order_id=base_id + i, account_id=1 + i % ACCOUNTS, symbol=SYMBOL,
                       side=side, price=price + 0, qty=qty))
    return eng


def fill_baseline(resting, base_id):
    book = BaselineBook()
    for i, (side, price, qty) in enumerate(resting):
        book.limit(base_id + i, "buy" if side is Side.BUY else "sell", price + 0, qty)
    return book


ENGINES = ("compiled", "interpreted")


def measure(impl, name, memory):
    """One warm-up and one timed run of one implementation ("compiled", "interpreted" or
    "baseline") on one workload, in a fresh process; with ``memory``, also the bytes per
    resting order of its final book. Reports the engine build this process loaded."""
    workload = generate(name)
    if impl in ENGINES:
        rate, eng = timed(run_engine, engine_commands(workload))
        resting = [(o.side, o.price, o.leaves_qty) for o in eng.open_orders(SYMBOL)
                   if o.type is OrderType.LIMIT]  # the lit book: memory per resting order
        fill = fill_engine
    else:
        rate, book = timed(run_baseline, baseline_commands(workload))
        resting = [(SIDES[o.side], o.price, o.qty) for o in book.open_orders()]
        fill = fill_baseline
    out = {"rate": rate, "resting": len(resting), "compiled": orders.engine.COMPILED}
    if memory:
        out["bytes"] = bytes_per_order(resting, fill)
    return out


def run_isolated(impl, name, memory=False):
    """Every run gets its own interpreter, and the implementations' runs alternate, so
    neither a previous run's heap nor a burst of load on the machine favours one side."""
    args = [sys.executable, os.path.abspath(__file__), "--one", impl, name] + (["--smoke"] if SMOKE else [])
    out = subprocess.run(args + (["--memory"] if memory else []), capture_output=True,
                         text=True, check=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if impl in ENGINES and result["compiled"] != (impl == "compiled"):
        raise RuntimeError(f"the {impl} run loaded the "
                           f"{'compiled' if result['compiled'] else 'interpreted'} engine")
    return result


def main():
    print(f"matching engine benchmark: {N_COMMANDS:,} commands per workload, seed {SEED};")
    print(f"cmd/s is the median of {RUNS} runs, each after a warm-up, in a fresh process")
    if orders.engine.COMPILED:
        impls = ["compiled", "interpreted", "baseline"]
        print("engine builds: compiled (mypyc extension modules) and interpreted (the .py "
              "files, extension modules ignored)")
    else:
        impls = ["interpreted", "baseline"]
        print("engine NOT compiled (no extension modules in orders/engine/; make "
              "build-engine): compiled rows skipped, interpreted engine only")
    print(f"{'workload':<9}{'impl':<21}{'cmd/s':>11}{'bytes/order':>13}{'resting':>9}")
    results = {}
    for name in WORKLOADS:
        runs = {impl: [] for impl in impls}
        for i in range(RUNS):
            for impl in impls:
                runs[impl].append(run_isolated(impl, name, memory=i == 0))
        figures = {}
        for impl, rs in runs.items():
            figures[impl] = {"rate": statistics.median(r["rate"] for r in rs),
                             "bytes": rs[0]["bytes"], "resting": rs[0]["resting"]}
            f = figures[impl]
            label = "baseline" if impl == "baseline" else f"engine ({impl})"
            note = "" if f["resting"] >= 1000 else "  (too few resting orders to measure)"
            print(f"{name:<9}{label:<21}{f['rate']:>11,.0f}{f['bytes']:>13,.0f}"
                  f"{f['resting']:>9,}{note}")
        results[name] = figures
        for impl in impls[:-1]:
            ratio = figures[impl]["ratio"] = figures[impl]["rate"] / figures["baseline"]["rate"]
            print(f"{name:<9}{'ratio ' + impl:<21}{ratio:>11.2f}   engine/baseline")
    for impl in impls[:-1]:
        speed_ok = all(r[impl]["ratio"] >= 0.6 for r in results.values())
        memory_ok = all(r[impl]["bytes"] <= 300 for r in results.values()
                        if r[impl]["resting"] >= 1000)
        print(f"{impl + ' engine:':<22}target ratio >= 0.60 on both workloads: "
              f"{'met' if speed_ok else 'NOT met'}; <= 300 bytes per resting order: "
              f"{'met' if memory_ok else 'NOT met'}")
    return results


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2], sys.argv[3], "--memory" in sys.argv)))
    else:
        main()
