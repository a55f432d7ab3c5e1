"""Does `run_analytics` keep up? A producer appends engine batches to the engine stream at --rate
trades per second (spread over --symbols symbols, one batch per symbol every 10 ms, each with its
trades, its top of book and a fill per trade, as the engine's publisher writes them), while a real
`manage.py run_analytics` process consumes them. Lag is the time from a batch's publication (its
`ts`) to its figures being written (database, then Redis): the process's own measure, over the
batches of the run's last 10 seconds (analytics.consumer's status). The run fails if it did not catch up or a symbol's trade count is off.

    .venv/bin/python bench/analytics.py [--rate 2000 --seconds 20]

Uses DATABASE_URL or a fresh SQLite file under var/bench; REDIS_URL or redis://127.0.0.1:6379/11
(flushed). The engine's side (the cost of the XADD in its publication) is `bench/settle.py --stream ab`.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 100.0


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


async def produce(*, symbols: list[str], rate: int, seconds: float, account_id: int) -> tuple[int, dict[str, int], str]:
    """Append batches for `seconds`; (batches, trades per symbol, last entry id)."""
    from common.redis import new_async_redis
    from common.times import utc_iso
    from django.conf import settings
    from realtime.channels import engine_stream_key
    from realtime.messages import EngineBatch

    redis = new_async_redis()
    stream = engine_stream_key()
    tick = 0.01
    per_batch = max(1, round(rate * tick / len(symbols)))
    counts = dict.fromkeys(symbols, 0)
    trade_id, batches, last_id = 0, 0, ""
    started = time.perf_counter()
    step = 0
    while time.perf_counter() - started < seconds:
        pipe = redis.pipeline(transaction=False)
        for i, symbol in enumerate(symbols):
            ts = utc_iso()
            trades, fills = [], []
            for k in range(per_batch):
                trade_id += 1
                price = f"{100 + ((step + k + i) % 40) / 100:.2f}"
                trades.append({"trade_id": trade_id, "price": price, "qty": str(1 + (trade_id % 9)),
                               "aggressor_side": "buy" if trade_id % 3 else "sell", "ts": ts})
                fills.append({"account_id": account_id, "order_id": trade_id, "symbol": symbol, "side": "buy",
                              "trade_id": trade_id, "price": price, "qty": str(1 + (trade_id % 9)),
                              "liquidity": "taker", "fee": "0.01"})
            counts[symbol] += per_batch
            quote = {"bid": "99.99", "bid_qty": str(10 + step % 7), "ask": "100.01", "ask_qty": "12", "last": price,
                     "ts": ts}
            batch = EngineBatch(ts=ts, symbols={symbol: {"trades": trades, "quote": quote}}, fills=fills, lag_ms=3.0)
            pipe.xadd(stream, {"m": batch.encode()}, maxlen=settings.ENGINE_STREAM_MAXLEN, approximate=True)
            batches += 1
        ids = await pipe.execute()
        last_id = ids[-1].decode()
        step += 1
        delay = started + step * tick - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    await redis.aclose()
    return batches, counts, last_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=2000, help="trades per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--symbols", type=int, default=4)
    parser.add_argument("--smoke", action="store_true", help="a short, slower run (the test suite runs this)")
    args = parser.parse_args()
    if args.smoke:
        args.rate, args.seconds = 400, 4
        os.environ.pop("DATABASE_URL", None)
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    env = {"DJANGO_SETTINGS_MODULE": "tradeapp.settings.dev", "LOG_LEVEL": "WARNING", "DEBUG": "0",
           "OPS_FEED_STALE_SECONDS": "0", "OPS_ENGINE_LAG_MS": "0"}
    if not os.environ.get("DATABASE_URL"):
        db = ROOT / "var" / "bench" / "analytics.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11")
    setup(env)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from analytics.consumer import STATUS_KEY
    from common.redis import get_redis
    from marketdata.models import Instrument
    from orders.services import account_for_user
    from realtime.channels import analytics_key

    redis = get_redis()
    redis.flushdb()
    symbols = [f"SYM{i}" for i in range(args.symbols)]
    for symbol in symbols:
        Instrument.objects.create(symbol=symbol, name=symbol, tick_size="0.01", lot_size="1", reference_price="100")
    account = account_for_user(user=get_user_model().objects.create_user("bench-analytics"))
    log_path = ROOT / "var" / "bench" / "analytics.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "manage.py", "run_analytics"], cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while not redis.exists(STATUS_KEY):  # it ticks once it has read the (empty) stream
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("run_analytics did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.1)
        batches, counts, last_id = asyncio.run(produce(symbols=symbols, rate=args.rate, seconds=args.seconds,
                                                       account_id=account.pk))
        deadline = time.monotonic() + 60
        while True:
            status = json.loads(redis.get(STATUS_KEY) or "{}")
            if status.get("last_id") == last_id:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"run_analytics did not catch up ({status}):\n" + log_path.read_text()[-3000:])
            time.sleep(0.2)
        time.sleep(1.1)  # the next status, after the last run
        status = json.loads(redis.get(STATUS_KEY))
    finally:
        process.terminate()
        process.wait(timeout=20)
    wrong = {s: (n, json.loads(redis.get(analytics_key(s)) or "{}").get("session_trades"))
             for s, n in counts.items()}
    wrong = {s: v for s, v in wrong.items() if v[0] != v[1]}
    trades = sum(counts.values())
    lag = status["lag_ms"]
    print(f"# {connection.vendor}: {trades} trades in {batches} batches over {args.seconds:.0f} s "
          f"({trades / args.seconds:,.0f} trades/s, {batches / args.seconds:,.0f} batches/s, {len(symbols)} symbols)")
    print(f"analytics lag ms (batch published -> figures written), last {status['samples']} batches: "
          f"p50 {lag['p50']}  p99 {lag['p99']}  max {lag['max']}  (target p99 < {TARGET_P99_MS:.0f})")
    if wrong:
        sys.exit(f"trade counts off (produced, counted): {wrong}")
    if not args.smoke and lag["p99"] > TARGET_P99_MS:
        print(f"p99 over the target of {TARGET_P99_MS:.0f} ms")


if __name__ == "__main__":
    main()
