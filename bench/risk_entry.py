"""What per-account risk limits cost at order entry: `order_place` (one order per call, as REST's
POST orders/ places) and `order_place_many` (batches of 100, as POST orders/batch/) for an account
without limits and for one with every limit set (none refusing), in wall and CPU microseconds per
order, in process on a fresh bench database. The account holds 3 positions and has --resting open
orders, the figures its limits are checked against.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeapp_bench .venv/bin/python bench/risk_entry.py [--orders 2000]

Uses DATABASE_URL (created if missing and flushed) or a fresh SQLite file under var/bench; REDIS_URL
or redis://127.0.0.1:6379/11 (flushed).
"""

import argparse
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.settle import setup  # noqa: E402 - the path above first


def traders(resting: int):
    from django.contrib.auth import get_user_model

    from marketdata.models import Instrument
    from orders.models import RiskLimit
    from orders.services import account_deposit, account_for_user, order_place, position_grant

    instruments = [Instrument.objects.create(symbol=s, name=s, tick_size=Decimal("0.01"), lot_size=Decimal("1"),
                                             reference_price=Decimal("100.00")) for s in ("AAPL", "MSFT", "NVDA")]
    accounts = {}
    for name in ("plain", "limited"):
        account = account_for_user(user=get_user_model().objects.create_user(f"bench-{name}"))
        account_deposit(account=account, amount=Decimal("1000000000.00"))
        for instrument in instruments:
            position_grant(account=account, instrument=instrument, qty=Decimal("10000000"), avg_price=Decimal("95"))
        for i in range(resting):
            order_place(account=account, symbol=instruments[i % 3].symbol, side="buy", type="limit", qty=Decimal("1"),
                        limit_price=Decimal("91.00"))
        accounts[name] = account
    RiskLimit.objects.create(account=accounts["limited"], max_position_qty=Decimal("100000000"),
                             max_gross_exposure=Decimal("100000000000.00"), max_open_notional=Decimal("100000000000.00"),
                             max_daily_loss=Decimal("1000000000.00"), max_orders_per_second=1_000_000)
    return accounts


def bodies(n: int, rng: random.Random) -> list[dict]:
    return [{"symbol": rng.choice(("AAPL", "MSFT", "NVDA")), "side": rng.choice(("buy", "sell")), "type": "limit",
             "qty": Decimal(rng.randint(1, 5)), "limit_price": Decimal(rng.randint(9100, 9900)) / 100}
            for _ in range(n)]


def timed(fn, n: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders per account and mode")
    parser.add_argument("--resting", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each is shown")
    parser.add_argument("--smoke", action="store_true", help="a few hundred orders (the test suite runs this)")
    args = parser.parse_args()
    if args.smoke:
        args.orders, args.resting, args.rounds = 200, 10, 1
        os.environ.pop("DATABASE_URL", None)
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    env = {"DJANGO_SETTINGS_MODULE": "tradeapp.settings.dev", "LOG_LEVEL": "WARNING", "DEBUG": "0",
           "ENGINE_MAX_LAG_MS": "0"}
    if not os.environ.get("DATABASE_URL"):
        db = ROOT / "var" / "bench" / "risk_entry.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
    setup(env)
    from django.db import connection

    from common.redis import get_redis
    from orders.models import Order
    from orders.services import order_place, order_place_many

    get_redis().flushdb()
    accounts = traders(args.resting)
    rng = random.Random(11)
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for _ in range(args.rounds):
        for name, account in accounts.items():
            single = bodies(args.orders, rng)
            many = bodies(args.orders, rng)

            def one_by_one(single=single, account=account):
                for body in single:
                    order_place(account=account, **body)

            def batches(many=many, account=account):
                for start in range(0, len(many), 100):
                    order_place_many(account=account, orders=many[start:start + 100])

            for mode, fn in (("order_place", one_by_one), ("order_place_many", batches)):
                figure = timed(fn, args.orders)
                key = (mode, name)
                best[key] = min(best.get(key, figure), figure)
    refused = Order.objects.filter(status="rejected").count()
    accepted = Order.objects.exclude(status="rejected").count()
    print(f"database {connection.vendor}, {args.orders} orders per account and mode, {args.resting} resting, "
          f"best of {args.rounds}")
    print(f"{'mode':18} {'account':8} {'wall us/order':>14} {'cpu us/order':>13}")
    for (mode, name), (wall, cpu) in sorted(best.items()):
        print(f"{mode:18} {name:8} {wall:14.0f} {cpu:13.0f}")
    for mode in ("order_place", "order_place_many"):
        plain, limited = best[(mode, "plain")], best[(mode, "limited")]
        print(f"limits cost {mode}: +{limited[0] - plain[0]:.0f} us wall, +{limited[1] - plain[1]:.0f} us cpu per order "
              f"(ratio {limited[0] / plain[0]:.2f})")
    print(f"accepted {accepted}, refused {refused}")
    if accepted < 2 * args.orders * 2 or refused:
        sys.exit("the benchmark's orders were not all accepted")


if __name__ == "__main__":
    main()
