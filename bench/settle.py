"""Where the engine's time goes: the engine worker's core and publisher in process, on a fresh bench
database, over orders placed as the batch endpoint places them.

For each batch of --batch commands (half crossing, so about a third of the orders trade): the
matching engine alone on the same commands (the floor), `EngineCore.handle_batch` (translate, match,
settle, commit) and `EnginePublisher.publish_batch` (format and publish to Redis), in CPU and wall
ms per command; with --profile, the top functions of settle and publish by own time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeapp_bench .venv/bin/python bench/settle.py [--orders 20000]

Uses DATABASE_URL (the database is created if missing and flushed) or a fresh SQLite file under
var/bench; REDIS_URL or redis://127.0.0.1:6379/11 (flushed).
"""

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        from bench.orders_e2e import _create_postgres_database

        _create_postgres_database(connection.settings_dict)
    call_command("migrate", "--noinput", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)


def place_orders(n: int, rng: random.Random):
    """n AAPL limit orders of 4 traders around 100.00, stored accepted as the batch endpoint stores them."""
    from marketdata.models import Instrument
    from orders.bus import BusCommand, CommandKind
    from orders.services import account_deposit, account_for_user, order_place_many, position_grant
    from django.contrib.auth import get_user_model

    aapl = Instrument.objects.create(symbol="AAPL", name="Apple", tick_size=Decimal("0.01"), lot_size=Decimal("1"),
                                     reference_price=Decimal("100.00"))
    accounts = []
    for i in range(4):
        account = account_for_user(user=get_user_model().objects.create_user(f"bench{i}"))
        account_deposit(account=account, amount=Decimal("100000000.00"))
        position_grant(account=account, instrument=aapl, qty=Decimal("10000000"), avg_price=Decimal("100"))
        accounts.append(account)
    commands = []
    for start in range(0, n, 100):
        account = accounts[(start // 100) % 4]
        bodies = [{"symbol": "AAPL", "side": rng.choice(("buy", "sell")), "type": "limit",
                   "qty": Decimal(rng.randint(1, 20)), "time_in_force": "gtc",
                   "limit_price": Decimal(10000 + rng.randint(-30, 30)) / 100} for _ in range(min(100, n - start))]
        for order, created, error in order_place_many(account=account, orders=bodies):
            assert created and error is None, error
            commands.append(BusCommand(CommandKind.NEW, "AAPL", order.pk))
    return commands


def engine_floor(commands) -> float:
    """CPU seconds of the pure engine alone on the same orders (the floor the worker adds to)."""
    from orders import engine as eng
    from orders.models import Order
    from orders.worker.core import engine_shape

    spec = eng.InstrumentSpec(Decimal("0.01"), Decimal("1"))
    matching = eng.MatchingEngine()
    matching.add_symbol("AAPL")
    orders = {o.pk: o for o in Order.objects.filter(pk__in=[c.order_id for c in commands])}
    translated = []
    for command in commands:
        order = orders[command.order_id]
        type_, tif, price = engine_shape(order)
        translated.append(spec.new_order(order_id=order.pk, account_id=order.account_id, symbol="AAPL",
                                         side=order.side, qty=order.qty, type=type_, time_in_force=tif, price=price))
    started = time.process_time()
    for command in translated:
        matching.apply(command)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="a few hundred orders (the test suite runs this)")
    parser.add_argument("--stream", choices=("on", "off", "ab"), default="ab",
                        help="append each batch to the engine stream (the analytics input): on, off, or ab "
                             "(alternate batches, and print publish for each)")
    args = parser.parse_args()
    if args.smoke:
        args.orders, args.batch = 400, 100
        os.environ.pop("DATABASE_URL", None)
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    env = {"DJANGO_SETTINGS_MODULE": "tradeapp.settings.dev", "LOG_LEVEL": "WARNING", "DEBUG": "0",
           "ENGINE_MAX_LAG_MS": "0",
           # The core runs synchronously here, inside the loop the publisher needs (as in the worker,
           # where it runs in the database thread instead).
           "DJANGO_ALLOW_ASYNC_UNSAFE": "1"}
    if not os.environ.get("DATABASE_URL"):
        db = ROOT / "var" / "bench" / "settle.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
    setup(env)
    from django.db import connection

    from common.redis import get_redis, new_async_redis
    from orders.worker.core import EngineCore
    from realtime.channels import engine_stream_key
    from realtime.publish.engine import EnginePublisher

    get_redis().flushdb()
    commands = place_orders(args.orders, random.Random(7))
    floor = engine_floor(commands)
    core = EngineCore(shard=0, shards=1)
    core.recover()
    settle_profile, publish_profile = cProfile.Profile(), cProfile.Profile()
    ab = {True: [0.0, 0.0, 0], False: [0.0, 0.0, 0]}  # stream on/off: publish CPU s, wall s, commands

    async def run() -> tuple[float, float, float, float, int, int]:
        publisher = EnginePublisher(new_async_redis(), stream=args.stream != "off")
        settle_cpu = settle_wall = publish_cpu = publish_wall = 0.0
        events = updates = 0
        for index, start in enumerate(range(0, len(commands), args.batch)):
            if args.stream == "ab":
                publisher.stream = index % 2 == 0
            chunk = commands[start:start + args.batch]
            wall, cpu = time.perf_counter(), time.process_time()
            if args.profile:
                settle_profile.enable()
            result = core.handle_batch(chunk)
            settle_profile.disable()
            settle_cpu, settle_wall = settle_cpu + time.process_time() - cpu, settle_wall + time.perf_counter() - wall
            events, updates = events + len(result.events), updates + len(result.updates)
            wall, cpu = time.perf_counter(), time.process_time()
            if args.profile:
                publish_profile.enable()
            await publisher.publish_batch(result)
            publish_profile.disable()
            publish_cpu, publish_wall = publish_cpu + time.process_time() - cpu, publish_wall + time.perf_counter() - wall
            if index:  # the first batch publishes the whole book: not a fair half
                ab[publisher.stream][0] += time.process_time() - cpu
                ab[publisher.stream][1] += time.perf_counter() - wall
                ab[publisher.stream][2] += len(chunk)
        await publisher.redis.aclose()
        return settle_cpu, settle_wall, publish_cpu, publish_wall, events, updates

    settle_cpu, settle_wall, publish_cpu, publish_wall, events, updates = asyncio.run(run())
    n = len(commands)
    from orders.models import Trade

    trades = Trade.objects.count()
    print(f"# {connection.vendor}, {n} orders in batches of {args.batch}: {trades} trades, {events} engine events, "
          f"{updates} order updates")
    print(f"{'step':<34}{'CPU ms/cmd':>11}{'wall ms/cmd':>12}{'cmd/s (wall)':>14}")
    for name, cpu, wall in [("engine alone (the floor)", floor, floor), ("settle (handle_batch)", settle_cpu, settle_wall),
                            ("publish (publish_batch)", publish_cpu, publish_wall),
                            ("settle + publish", settle_cpu + publish_cpu, settle_wall + publish_wall)]:
        print(f"{name:<34}{cpu / n * 1000:>11.3f}{wall / n * 1000:>12.3f}{n / wall:>14,.0f}")
    print(f"ratio engine floor / (settle + publish) CPU: {floor / (settle_cpu + publish_cpu):.3f}")
    for on in (True, False):
        cpu, wall, count = ab[on]
        if count:
            print(f"publish with the engine stream {'on ' if on else 'off'} ({count} cmds): {cpu / count * 1000:.3f} CPU "
                  f"ms/cmd, {wall / count * 1000:.3f} wall ms/cmd")
    if args.stream != "off" and not get_redis().xlen(engine_stream_key()):
        sys.exit("nothing reached the engine stream")
    if args.profile:
        settle_profile.dump_stats(str(ROOT / "var" / "bench" / "settle.prof"))
        publish_profile.dump_stats(str(ROOT / "var" / "bench" / "publish.prof"))
        for title, profile in (("settle", settle_profile), ("publish", publish_profile)):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(18)
            print(f"\n== {title}: top functions by own time ==")
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[-2400:])
    if not trades or not updates:
        sys.exit("nothing settled or published")


if __name__ == "__main__":
    main()
