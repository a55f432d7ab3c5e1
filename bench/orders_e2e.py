"""End-to-end order benchmark: starts the stack (web + engine) on a bench database, drives
it with concurrent REST clients, and prints orders accepted per second (single POSTs and the
batch endpoint), request latency p50/p99, engine lag p50/p99, and, in the same run, the rate
of a bare authenticated DRF endpoint that stores one row, as the ratio orders/bare.

    .venv/bin/python bench/orders_e2e.py [--seconds 30] [--clients 8] [--server daphne|gunicorn]

Uses DATABASE_URL / REDIS_URL when set (PostgreSQL for production figures); otherwise a
SQLite file under var/bench and the system Redis at 127.0.0.1:6379/11.
"""

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def manage(env, *args, capture=False):
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=capture, text=True)


def start(env, argv, name):
    log = open(ROOT / "var" / "bench" / f"{name}.log", "wb")
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_http(port, path="/healthz", timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on {port} did not come up")


def load(port, token, seconds, clients, make_body, path):
    """Each client thread POSTs over one keep-alive connection; returns (ok count, latencies)."""
    latencies, ok, errors = [], [0], [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(i):
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        mine, good, bad = [], 0, 0
        while time.perf_counter() < stop_at:
            body, count = make_body(rng)
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                bad += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - t0)
            if response.status in (200, 201):
                good += count(payload) if callable(count) else count
            else:
                bad += 1
        with lock:
            latencies.extend(mine)
            ok[0] += good
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok[0] / (time.perf_counter() - started), latencies, errors[0]


REFERENCE = [100.0]


def order_body(rng):
    side = rng.choice(("buy", "sell"))
    price = f"{REFERENCE[0] + rng.randint(-20, 20) / 100:.2f}"
    return json.dumps({"symbol": "AAPL", "side": side, "type": "limit", "qty": str(rng.randint(1, 5)),
                       "limit_price": price, "time_in_force": "gtc"}), 1


def batch_body(rng):
    orders = [json.loads(order_body(rng)[0]) for _ in range(100)]
    return json.dumps({"orders": orders}), accepted_in_batch


def accepted_in_batch(payload):
    return sum(1 for r in json.loads(payload)["results"] if r["status"] == 201)


def bare_body(rng):
    return json.dumps({"symbol": "AAPL", "qty": str(rng.randint(1, 5))}), 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--server", choices=("daphne", "gunicorn"), default="daphne")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, BENCHMARK_ENDPOINTS="1", API_THROTTLE_RATE="100000000/min", LOG_LEVEL="WARNING",
               DJANGO_SETTINGS_MODULE="tradeapp.settings.dev")
    if not env.get("DATABASE_URL"):
        db = ROOT / "var" / "bench" / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
    subprocess.run(["redis-cli", "-u", env["REDIS_URL"], "flushdb"], capture_output=True)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo", capture=True)
    token = manage(env, "create_trader", f"bench{int(time.time())}", "--password", "x", "--cash", "900000000",
                   "--position", "AAPL:5000000", capture=True).stdout.strip().split()[-1]

    REFERENCE[0] = float(manage(env, "shell", "-c", "from marketdata.models import Instrument; "
                                "print(Instrument.objects.get(symbol='AAPL').reference_price)", capture=True).stdout.split()[-1])
    if args.server == "daphne":
        web = start(env, [str(Path(PY).parent / "daphne"), "-b", "127.0.0.1", "-p", str(args.port), "tradeapp.asgi:application"], "web")
    else:
        web = start(env, [str(Path(PY).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{args.port}", "tradeapp.wsgi:application"], "web")
    engine = start(env, [PY, "manage.py", "run_engine"], "engine")
    try:
        wait_http(args.port)
        time.sleep(2)
        results = {}
        for name, body, path in (("bare DRF row", bare_body, "/bench/bare/"),
                                 ("single POST orders/", order_body, "/api/v1/orders/"),
                                 ("batch POST orders/batch/", batch_body, "/api/v1/orders/batch/")):
            rate, latencies, errors = load(args.port, token, args.seconds, args.clients, body, path)
            results[name] = rate
            print(f"{name:26s} {rate:9.1f} orders/s   p50 {percentile(latencies, .5) * 1000:7.1f} ms   "
                  f"p99 {percentile(latencies, .99) * 1000:7.1f} ms   errors {errors}")
        time.sleep(2)
        import redis

        stats = json.loads(redis.Redis.from_url(env["REDIS_URL"]).get("engine:1:0:stats") or "{}")
        print(f"engine lag (accepted -> processed, last 2000 orders): p50 {stats.get('lag_p50_ms')} ms, "
              f"p99 {stats.get('lag_p99_ms')} ms; batches {stats.get('batches')}, commands {stats.get('commands')}")
        print(f"ratio single/bare {results['single POST orders/'] / results['bare DRF row']:.2f}   "
              f"batch/bare {results['batch POST orders/batch/'] / results['bare DRF row']:.2f}   "
              f"(server {args.server}, {args.clients} clients, {args.seconds:.0f} s each, "
              f"{'PostgreSQL' if 'postgres' in env['DATABASE_URL'] else 'SQLite'})")
    finally:
        for process in (web, engine):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
