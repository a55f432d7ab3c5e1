"""WebSocket order entry beside single REST POSTs, in the same run on the same stack (web + engine):

- single POST orders/: --clients threads, each one keep-alive connection and one trader, closed
  loop (the rate REST reaches one order per request);
- WebSocket `place` at full speed: --clients sockets, each with up to --window requests in flight
  (a client does not wait for one answer before sending the next), orders acknowledged per second
  and the ratio to the single-POST rate;
- ack latency at a fixed --rate orders/s offered (open loop over the sockets, on a fixed schedule:
  a late request is sent at once, never skipped): send -> `ack` p50/p99/max, and the same rate of
  single POSTs (request latency) beside it;
- the web processes' CPU per order of each phase.

    .venv/bin/python bench/ws_orders.py [--seconds 15] [--clients 4] [--window 16] [--rate 200]
        [--workers 2]

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeapp_bench .venv/bin/python bench/ws_orders.py

The web tier is the Procfile's: uvicorn with --workers. Uses DATABASE_URL / REDIS_URL as
bench/orders_e2e.py does (the database is flushed at start); otherwise a fresh SQLite file under
var/bench and the system Redis at 127.0.0.1:6379/11.
"""

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import websockets

import orders_e2e as e2e

ROOT = e2e.ROOT
PY = e2e.PY


def uvicorn_argv(port: int, workers: int) -> list[str]:
    return [str(e2e.BIN / "uvicorn"), "tradeapp.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--no-access-log", "--log-level", "warning", "--lifespan", "off",
            "--ws-per-message-deflate", "false", "--ws-max-size", "1048576"]


class Tally:
    def __init__(self):
        self.acks = 0
        self.busy = 0  # 429 (admission control or rate limit)
        self.errors = 0
        self.first_error = None
        self.latencies: list[float] = []

    def answer(self, message: dict, sent_at: float | None) -> None:
        if message.get("type") == "ack" and message.get("status") == 201:
            self.acks += 1
            if sent_at is not None:
                self.latencies.append(time.perf_counter() - sent_at)
        elif message.get("status") == 429:
            self.busy += 1
        else:
            self.errors += 1
            self.first_error = self.first_error or json.dumps(message)[:200]


async def ws_socket(url: str, token: str, *, stop_at: float, tally: Tally, window: int | None, schedule=None,
                    seed: int = 0) -> None:
    """One socket placing orders until stop_at: with `window`, keeping that many in flight; with
    `schedule` (an iterator of send times), sending at those times and timing each ack."""
    rng = random.Random(seed)
    sent: dict[int, float] = {}
    ids = itertools.count()
    free = asyncio.Semaphore(window or 10**9)
    async with websockets.connect(f"{url}?token={token}", max_size=2**20, compression=None) as ws:

        async def reader():
            async for raw in ws:
                message = json.loads(raw)
                if "id" not in message or message.get("type") not in ("ack", "error"):
                    continue
                tally.answer(message, sent.pop(message["id"], None))
                free.release()

        reading = asyncio.create_task(reader())
        while time.perf_counter() < stop_at:
            if schedule is not None:
                due = next(schedule)
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
            else:
                await free.acquire()
            if time.perf_counter() >= stop_at:
                break
            rid = next(ids)
            sent[rid] = time.perf_counter()
            await ws.send(json.dumps({"action": "place", "id": rid, "order": e2e.order_dict(rng)}))
        deadline = time.perf_counter() + 30
        while sent and time.perf_counter() < deadline and not reading.done():
            await asyncio.sleep(0.005)
        reading.cancel()
        if sent:
            print(f"    ({len(sent)} requests unanswered 30 s after the phase)", flush=True)
            tally.errors += len(sent)


async def ws_phase(url, tokens, seconds, window=None, rate=None) -> tuple[float, Tally]:
    tally = Tally()
    begin = time.perf_counter() + 0.2
    stop_at = begin + seconds
    n = len(tokens)

    def schedule(i):
        # Socket i of n sends orders i, i + n, i + 2n... of the common schedule at `rate`.
        return (begin + (k * n + i) / rate for k in itertools.count())

    await asyncio.gather(*[ws_socket(url, token, stop_at=stop_at, tally=tally, window=window,
                                     schedule=schedule(i) if rate else None, seed=i)
                           for i, token in enumerate(tokens)])
    return tally.acks / (time.perf_counter() - begin), tally


def ms(values, q) -> str:
    return f"{e2e.percentile(values, q) * 1000:.2f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase")
    parser.add_argument("--clients", type=int, default=4, help="REST client threads and WebSocket sockets")
    parser.add_argument("--window", type=int, default=16, help="requests in flight per socket at full speed")
    parser.add_argument("--rate", type=float, default=200, help="orders/s offered in the latency phase")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn web processes")
    parser.add_argument("--port", type=int, default=8792)
    parser.add_argument("--max-lag-ms", type=float, default=1000, help="the venue's ENGINE_MAX_LAG_MS")
    parser.add_argument("--smoke", action="store_true",
                        help="2 s phases, 2 clients, one web process, 50 orders/s, SQLite (the test suite runs "
                             "this): fails if a phase placed nothing")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.clients, args.workers, args.rate = 2, 2, 1, 50
        os.environ.pop("DATABASE_URL", None)  # never a real database: the benchmark flushes it

    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = dict(os.environ, API_THROTTLE_RATE="100000000/min", LOG_LEVEL="WARNING", DEBUG="0", PYTHONUNBUFFERED="1",
               ENGINE_MAX_LAG_MS=str(args.max_lag_ms), AUTH_FAILURES_PER_ADDRESS="1000000")
    env.setdefault("DJANGO_SETTINGS_MODULE", "tradeapp.settings.dev")
    env["PATH"] = f"{e2e.BIN}{os.pathsep}{env.get('PATH', '')}"
    if not env.get("DATABASE_URL"):
        db = ROOT / "var" / "bench" / "ws_orders.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
    import redis

    r = redis.Redis.from_url(env["REDIS_URL"])
    r.flushdb()
    tokens = e2e.setup_database(env, args.clients)
    from orders.bus import stream_for_shard

    stream = stream_for_shard(0, 1)
    database = "PostgreSQL" if "postgres" in env["DATABASE_URL"] else "SQLite"
    webs = [e2e.start(env, uvicorn_argv(args.port, args.workers), "ws_orders_web")]
    engine = e2e.start(env, [PY, "manage.py", "run_engine"], "ws_orders_engine")
    url = f"ws://127.0.0.1:{args.port}/ws/v1/"
    print(f"# uvicorn x{args.workers}, {database}, {args.clients} clients (one trader each), {args.seconds:.0f} s "
          f"per phase, window {args.window}, {os.cpu_count()} cores, load average at start "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    figures = {}
    try:
        e2e.wait_http(args.port)
        # Warm every worker's code paths and connections.
        e2e.load(args.port, tokens, 1, args.clients, e2e.order_body, "/api/v1/orders/")
        asyncio.run(ws_phase(url, tokens, 1, window=args.window))

        def web_cpu():
            return e2e.tree_cpu([w.pid for w in webs])

        def phase(label, run):
            e2e.wait_drained(r, stream)
            cpu0 = web_cpu()
            rate, detail = run()
            placed = max(rate, 1e-9) * args.seconds
            print(f"  {label:34s} {rate:8.1f} orders/s  {detail}  web CPU "
                  f"{(web_cpu() - cpu0) / placed * 1000:.2f} ms/order", flush=True)
            return rate

        def rest(rate=None):
            def run():
                ok, latencies, errors, _, refused = e2e.load(args.port, tokens, args.seconds, args.clients,
                                                             e2e.order_body, "/api/v1/orders/", rate=rate)
                figures.setdefault("rest_latencies" if rate else "rest_max_latencies", latencies)
                return ok, f"p50 {ms(latencies, .5)}  p99 {ms(latencies, .99)}  errors {errors}  429 {refused}"
            return run

        def ws(window=None, rate=None):
            def run():
                acks, tally = asyncio.run(ws_phase(url, tokens, args.seconds, window=window, rate=rate))
                if rate:
                    figures["ws_latencies"] = tally.latencies
                detail = f"errors {tally.errors}  429 {tally.busy}"
                if tally.latencies:
                    detail = (f"ack p50 {ms(tally.latencies, .5)}  p99 {ms(tally.latencies, .99)}  max "
                              f"{max(tally.latencies) * 1000:.2f} ms  " + detail)
                if tally.first_error:
                    detail += f"  first error {tally.first_error}"
                return acks, detail
            return run

        figures["rest"] = phase("single POST orders/ (max)", rest())
        figures["ws"] = phase(f"WebSocket place (max, window {args.window})", ws(window=args.window))
        figures["ws_fixed"] = phase(f"WebSocket place at {args.rate:.0f}/s offered", ws(rate=args.rate))
        figures["rest_fixed"] = phase(f"single POST at {args.rate:.0f}/s offered", rest(rate=args.rate))
        e2e.wait_drained(r, stream)
    finally:
        for process in (*webs, engine):
            try:
                os.killpg(process.pid, 15)
            except ProcessLookupError:
                pass
        for process in (*webs, engine):
            try:
                process.wait(10)
            except Exception:
                os.killpg(process.pid, 9)

    ratio = figures["ws"] / figures["rest"] if figures.get("rest") else float("nan")
    lat = figures.get("ws_latencies", [])
    print(f"\n== uvicorn x{args.workers}, {database} ==")
    print(f"single POST {figures['rest']:.1f} orders/s; WebSocket {figures['ws']:.1f} orders/s; "
          f"ratio ws/single {ratio:.2f} (target >= 2)")
    print(f"ack latency at {args.rate:.0f}/s offered ({figures['ws_fixed']:.1f}/s acknowledged): p50 {ms(lat, .5)}, "
          f"p99 {ms(lat, .99)} (target p99 < 10 ms); single POST at the same rate: p50 "
          f"{ms(figures.get('rest_latencies', []), .5)}, p99 {ms(figures.get('rest_latencies', []), .99)}")
    idle = [name for name in ("rest", "ws", "ws_fixed", "rest_fixed") if not figures.get(name)]
    if idle:
        sys.exit(f"no order placed in: {', '.join(idle)} (see var/bench/ws_orders_*.log)")


if __name__ == "__main__":
    main()
