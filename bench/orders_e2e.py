"""End-to-end order benchmark: starts the stack (web + engine) on a fresh bench database, drives
it with concurrent REST clients, and prints, for one serving topology:

- orders accepted per second through single POSTs and through the batch endpoint (100 per request),
  with request latency p50/p99 and the web processes' CPU per request;
- in the same run, the request rate of a bare authenticated DRF endpoint that stores one row
  (`/bench/bare/`), and each order rate as a ratio of it;
- for each order phase, orders *settled* per second: the phase's accepted orders over the time
  until the engine drained them, the engine lag (accepted_at -> taken into an engine batch)
  p50/p99/max from the database, and the requests answered 429 by admission control (the venue
  runs with ENGINE_MAX_LAG_MS=--max-lag-ms): under a flood the lag stays bounded;
- engine lag p50/p99 while a controlled 500 orders/s is offered (open loop, in requests of
  --lag-batch orders), from the database over the whole phase and from the engine's own counters.

    .venv/bin/python bench/orders_e2e.py [--seconds 30] [--clients 8] [--rounds 1]
        [--server granian|daphne|uvicorn] [--workers N] [--lag-rate 500] [--lag-batch 5]

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeapp_bench make bench-orders

Uses DATABASE_URL / REDIS_URL when set (PostgreSQL for production figures; the database is created
if missing and flushed at start); otherwise a fresh SQLite file under var/bench and the system Redis
at 127.0.0.1:6379/11. With --rounds R the bare, single and batch phases are interleaved R times and
medians are printed, so drift on a shared machine hits the baseline and the orders alike.
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def start(env, argv, name, **kwargs):
    log = open(ROOT / "var" / "bench" / f"{name}.log", "wb")
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            **kwargs)


def wait_http(port, path="/healthz", timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on {port} did not come up (see var/bench/web*.log)")


def processes() -> dict[int, tuple[str, int, list[str]]]:
    """{pid: (command name, parent pid, the /proc stat fields after the name)} of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(entry)] = (stat[stat.index("(") + 1:stat.rindex(")")], int(fields[1]), fields)
    return found


def tree_cpu(pids) -> float:
    """CPU seconds (user + system) used so far by these processes and all their descendants."""
    children = {}
    found = processes()
    for pid, (_, ppid, _) in found.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, list(pids)
    while todo:
        pid = todo.pop()
        if pid in found:
            fields = found[pid][2]
            total += int(fields[11]) + int(fields[12])
        todo.extend(children.get(pid, ()))
    return total / CLK_TCK


def named_cpu(name: str) -> float:
    """CPU seconds used so far by the servers whose command name is `name` (PostgreSQL, redis-server),
    whoever started them: each top process (its parent has another name), its live children, and the
    children it already reaped (cutime/cstime), so that backends which exit still count."""
    found, total = processes(), 0
    for comm, ppid, fields in found.values():
        if comm != name:
            continue
        total += int(fields[11]) + int(fields[12])
        if found.get(ppid, ("",))[0] != name:  # a top process: add what its exited children used
            total += int(fields[13]) + int(fields[14])
    return total / CLK_TCK


def cpu_snapshot(webs, engine) -> dict[str, float]:
    """CPU seconds so far of each part of the stack: web, engine, PostgreSQL, Redis, and this client."""
    own = os.times()
    return {"web": tree_cpu([w.pid for w in webs]), "engine": tree_cpu([engine.pid]),
            "postgres": named_cpu("postgres"), "redis": named_cpu("redis-server"),
            "client": own.user + own.system}


def cpu_split(before, after, requests) -> str:
    return ", ".join(f"{k} {(after[k] - before[k]) / max(requests, 1) * 1000:.2f}" for k in before)


def load(port, tokens, seconds, clients, make_body, path, rate=None):
    """Each client thread POSTs over one keep-alive connection with its own trader's token; with
    `rate` the clients together offer that many requests per second on a fixed schedule (open loop:
    a late request is sent at once, never skipped). Returns (ok per second, latencies, errors, wall,
    refused): refused counts the requests answered 429 (admission control), not in errors."""
    latencies, ok, errors, refused, first_error = [], [0], [0], [0], []
    lock = threading.Lock()
    begin = time.perf_counter() + 0.05
    stop_at = begin + seconds

    def client(i):
        rng = random.Random(i * 7919 + int(time.time()))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Token {tokens[i % len(tokens)]}", "Content-Type": "application/json"}
        mine, good, bad, busy, n = [], 0, 0, 0, 0
        while True:
            if rate:
                due = begin + (n * clients + i) / rate
                n += 1
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            if time.perf_counter() >= stop_at:
                break
            body, count = make_body(rng)
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                bad += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            mine.append(time.perf_counter() - t0)
            if response.status in (200, 201):
                good += count(payload) if callable(count) else count
            elif response.status == 429:
                busy += 1
            else:
                bad += 1
                if not first_error:
                    first_error.append(f"{response.status} {payload[:200]!r}")
        with lock:
            latencies.extend(mine)
            ok[0] += good
            errors[0] += bad
            refused[0] += busy

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - begin
    if first_error:
        print(f"    first error answer on {path}: {first_error[0]}", flush=True)
    return ok[0] / wall, latencies, errors[0], wall, refused[0]


def engine_summary(before: dict, after: dict) -> str:
    """Batches the engine ran between two readings of its counters, and its time per batch."""
    batches = after.get("batches", 0) - before.get("batches", 0)
    if not batches or "db_ms" not in after:
        return "no batches"
    commands = after.get("commands", 0) - before.get("commands", 0)
    per = {k: (after.get(k, 0) - before.get(k, 0)) / batches for k in ("db_ms", "publish_ms")}
    return (f"{batches} batches of {commands / batches:.1f} commands on average, {per['db_ms']:.2f} ms settling "
            f"and {per['publish_ms']:.2f} ms publishing per batch")


REFERENCE = [100.0]


def order_dict(rng):
    # Around the reference price, so about half the orders cross and the engine settles trades.
    return {"symbol": "AAPL", "side": rng.choice(("buy", "sell")), "type": "limit", "qty": str(rng.randint(1, 5)),
            "limit_price": f"{REFERENCE[0] + rng.randint(-20, 20) / 100:.2f}", "time_in_force": "gtc"}


def order_body(rng):
    return json.dumps(order_dict(rng)), 1


def batch_body(rng):
    return json.dumps({"orders": [order_dict(rng) for _ in range(100)]}), accepted_in_batch


def accepted_in_batch(payload):
    return sum(1 for r in json.loads(payload)["results"] if r["status"] == 201)


def bare_body(rng):
    return json.dumps({"symbol": "AAPL", "qty": str(rng.randint(1, 5))}), 1


def web_command(args, env, sock):
    """argv and extra Popen arguments of the web server under test."""
    port, workers = str(args.port), args.workers
    if args.server == "daphne":
        # One Daphne per worker, all accepting on one inherited listening socket.
        return [[str(BIN / "daphne"), "--fd", str(sock.fileno()), "tradeapp.asgi:application"]
                for _ in range(workers)], {"pass_fds": (sock.fileno(),)}
    if args.server == "uvicorn":
        return [[str(BIN / "uvicorn"), "tradeapp.asgi:application", "--host", "127.0.0.1", "--port", port,
                 "--workers", str(workers), "--no-access-log", "--log-level", "warning", "--lifespan", "off"]], {}
    # granian: the production launcher's command line (tradeapp/http_server.py).
    from tradeapp.http_server import http_server_argv

    env.setdefault("DB_CONN_MAX_AGE", "60")
    return [http_server_argv(bind=f"127.0.0.1:{port}", workers=workers)], {}


def setup_database(env, traders):
    """Fresh schema and data in the bench database; returns one API token per trader."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        _create_postgres_database(connection.settings_dict)
    call_command("migrate", "--noinput", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    from io import StringIO

    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    from marketdata.models import Instrument

    REFERENCE[0] = float(Instrument.objects.get(symbol="AAPL").reference_price)
    tokens = []
    for i in range(traders):
        out = StringIO()
        call_command("create_trader", f"bench{i}", "--cash", "900000000", "--position", "AAPL:5000000",
                     stdout=out, stderr=StringIO())
        tokens.append(out.getvalue().strip().split()[-1])
    connection.close()
    return tokens


def _create_postgres_database(settings_dict):
    import psycopg

    try:
        psycopg.connect(host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, user=settings_dict["USER"],
                        password=settings_dict["PASSWORD"], dbname=settings_dict["NAME"]).close()
    except psycopg.OperationalError:
        with psycopg.connect(host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432,
                             user=settings_dict["USER"], password=settings_dict["PASSWORD"], dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{settings_dict["NAME"]}"')


def max_order_id() -> int:
    from django.db import connection

    from orders.models import Order

    last = Order.objects.order_by("-id").values_list("id", flat=True).first() or 0
    connection.close()
    return last


def db_lags(after_id: int) -> list[float]:
    """accepted_at -> engine_at (the engine stamps it as it takes the order into a batch), seconds."""
    from django.db import connection

    from orders.models import Order

    rows = Order.objects.filter(id__gt=after_id, accepted_at__isnull=False, engine_at__isnull=False) \
        .values_list("accepted_at", "engine_at")
    lags = [(engine_at - accepted_at).total_seconds() for accepted_at, engine_at in rows]
    connection.close()
    return lags


def wait_drained(r, stream, timeout=120) -> float:
    """Wait until the engine has taken every command off its stream (it deletes them once done)."""
    started = time.time()
    while time.time() - started < timeout:
        if not r.xlen(stream):
            return time.time() - started
        time.sleep(0.1)
    print(f"  (engine backlog not drained after {timeout} s: {r.xlen(stream)} commands)")
    return time.time() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of each max-throughput phase")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="interleave bare/single/batch this many times")
    parser.add_argument("--server", choices=("granian", "daphne", "uvicorn"), default="granian")
    parser.add_argument("--workers", type=int, default=None, help="web processes (default 3 for granian, else 2)")
    parser.add_argument("--lag-rate", type=float, default=500, help="orders/s offered in the lag phase (0: skip)")
    parser.add_argument("--lag-seconds", type=float, default=20)
    parser.add_argument("--lag-batch", type=int, default=5,
                        help="orders per request in the lag phase: 1 sends single POSTs, more use the batch "
                             "endpoint, so that the web tier can offer the rate and the phase measures the engine")
    parser.add_argument("--phases", default="bare,single,batch", help="max-throughput phases to run")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--max-lag-ms", type=float, default=500,
                        help="the venue's admission bound (ENGINE_MAX_LAG_MS) for the run; 0 turns it off")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds per phase, two clients, one web worker, SQLite (the test suite runs this): "
                             "proves the benchmark runs, and fails if a phase accepted nothing")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.clients, args.rounds, args.lag_seconds, args.lag_rate = 2, 2, 1, 2, 50
        args.workers = args.workers or 1
        os.environ.pop("DATABASE_URL", None)  # never a real database: the benchmark flushes it
    if args.workers is None:
        args.workers = 3 if args.server == "granian" else 2

    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the servers (finally below)
    env = dict(os.environ, BENCHMARK_ENDPOINTS="1", API_THROTTLE_RATE="100000000/min", LOG_LEVEL="WARNING",
               DEBUG="0", PYTHONUNBUFFERED="1", ENGINE_MAX_LAG_MS=str(args.max_lag_ms),
               # All clients come from 127.0.0.1: a few stray 401s must not lock the whole run out.
               AUTH_FAILURES_PER_ADDRESS="1000000")
    env.setdefault("DJANGO_SETTINGS_MODULE", "tradeapp.settings.dev")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if not env.get("DATABASE_URL"):
        db = ROOT / "var" / "bench" / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
    import redis

    r = redis.Redis.from_url(env["REDIS_URL"])
    r.flushdb()
    tokens = setup_database(env, args.clients)
    from orders.bus import stats_key, stream_for_shard

    stream, stats = stream_for_shard(0, 1), stats_key(0, 1)
    database = "PostgreSQL" if "postgres" in env["DATABASE_URL"] else "SQLite"

    sock = None
    if args.server == "daphne":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", args.port))
        sock.listen(2048)
        sock.set_inheritable(True)
    commands, extra = web_command(args, env, sock)
    webs = [start(env, argv, f"web{i}", **extra) for i, argv in enumerate(commands)]
    engine = start(env, [PY, "manage.py", "run_engine"], "engine")
    topology = f"{args.server} x{args.workers}"
    print(f"# {topology}, {database}, {args.clients} clients (one trader each), {args.seconds:.0f} s per phase, "
          f"{args.rounds} round(s), {os.cpu_count()} cores, load average at start "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    phases = {"bare": ("bare DRF row", bare_body, "/bench/bare/"),
              "single": ("single POST orders/", order_body, "/api/v1/orders/"),
              "batch": ("batch POST orders/batch/", batch_body, "/api/v1/orders/batch/")}
    chosen = [p for p in args.phases.split(",") if p]
    results = {p: [] for p in chosen}
    try:
        wait_http(args.port)
        time.sleep(1)
        for name in ("bare", "single", "batch"):  # warm every worker's code paths and connections
            load(args.port, tokens, 1, args.clients, phases[name][1], phases[name][2])
        # The lag phase first: the max-throughput phases leave the engine (and its publishing) a
        # backlog of tens of thousands of orders and trades, which is not the steady state measured.
        lag = None
        if args.lag_rate:
            wait_drained(r, stream)
            time.sleep(3)  # the engine writes its counters every second
            stats0 = json.loads(r.get(stats) or "{}")
            first = max_order_id()
            cpu0, engine_cpu0 = tree_cpu([w.pid for w in webs]), tree_cpu([engine.pid])
            if args.lag_batch > 1:
                def lag_body(rng):
                    return json.dumps({"orders": [order_dict(rng) for _ in range(args.lag_batch)]}), accepted_in_batch

                lag_path = "/api/v1/orders/batch/"
            else:
                lag_body, lag_path = order_body, "/api/v1/orders/"
            rate, latencies, errors, wall, _ = load(args.port, tokens, args.lag_seconds, args.clients, lag_body,
                                                    lag_path, rate=args.lag_rate / args.lag_batch)
            web_cpu = (tree_cpu([w.pid for w in webs]) - cpu0) / wall
            drained = wait_drained(r, stream)
            engine_cpu = (tree_cpu([engine.pid]) - engine_cpu0) / (wall + drained)
            time.sleep(2.2)  # the engine writes its counters every second
            lags = db_lags(first)
            engine_stats = json.loads(r.get(stats) or "{}")
            lag = (rate, lags, engine_stats)
            print(f"  engine in the lag phase: {engine_summary(stats0, engine_stats)}", flush=True)
            print(f"  lag phase: offered {args.lag_rate:.0f}/s in requests of {args.lag_batch}, accepted {rate:.1f} orders/s, request "
                  f"p50 {percentile(latencies, .5) * 1000:.1f} ms p99 {percentile(latencies, .99) * 1000:.1f} ms, "
                  f"errors {errors}; CPU: web {web_cpu:.2f} cores, engine {engine_cpu:.2f} cores", flush=True)
        for round_no in range(args.rounds):
            for name in chosen:
                label, body, path = phases[name]
                wait_drained(r, stream)
                cpu0, split0 = tree_cpu([w.pid for w in webs]), cpu_snapshot(webs, engine)
                stats0 = json.loads(r.get(stats) or "{}")
                first = max_order_id()
                rate, latencies, errors, wall, refused = load(args.port, tokens, args.seconds, args.clients, body, path)
                requests = len(latencies)
                drained = wait_drained(r, stream)
                settled_rate = rate * wall / (wall + drained) if name != "bare" else None
                split = cpu_split(split0, cpu_snapshot(webs, engine), requests)
                cpu = (tree_cpu([w.pid for w in webs]) - cpu0) / max(requests, 1) * 1000
                lags = db_lags(first) if name != "bare" else []
                results[name].append((rate, percentile(latencies, .5), percentile(latencies, .99), settled_rate,
                                      percentile(lags, .99), refused / wall))
                print(f"  round {round_no + 1} {label:25s} {rate:8.1f} orders/s  p50 {percentile(latencies, .5) * 1000:7.1f} ms"
                      f"  p99 {percentile(latencies, .99) * 1000:7.1f} ms  web CPU {cpu:5.2f} ms/request  "
                      f"errors {errors}, answered 429 {refused}", flush=True)
                if settled_rate is not None:
                    print(f"    settled {settled_rate:.1f} orders/s (the engine drained {drained:.1f} s after the clients "
                          f"stopped); engine lag p50 {percentile(lags, .5) * 1000:.1f} ms, p99 "
                          f"{percentile(lags, .99) * 1000:.1f} ms, max {max(lags, default=0) * 1000:.1f} ms over "
                          f"{len(lags)} orders (admission bound {args.max_lag_ms:.0f} ms)", flush=True)
                print(f"    CPU ms per request (engine and databases until the engine drained, {drained:.1f} s "
                      f"after): {split}", flush=True)
                time.sleep(1.2)  # the engine writes its counters every second
                print(f"    engine: {engine_summary(stats0, json.loads(r.get(stats) or '{}'))}", flush=True)
    finally:
        for process in (*webs, engine):
            try:
                os.killpg(process.pid, 15)
            except ProcessLookupError:
                pass
        for process in (*webs, engine):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)

    def median(name, index):
        return statistics.median(row[index] for row in results[name])

    print(f"\n== {topology}, {database}: medians of {args.rounds} round(s) ==")
    for name in chosen:
        label = phases[name][0]
        line = (f"{label:25s} {median(name, 0):8.1f} orders/s   p50 {median(name, 1) * 1000:7.1f} ms   "
                f"p99 {median(name, 2) * 1000:7.1f} ms")
        if name != "bare":
            line += (f"   settled {median(name, 3):8.1f} orders/s   engine lag p99 {median(name, 4) * 1000:7.1f} ms"
                     f"   429s {median(name, 5):6.1f}/s")
        print(line)
    if "bare" in results:
        for name in [n for n in chosen if n != "bare"]:
            ratios = [row[0] / bare[0] for row, bare in zip(results[name], results["bare"], strict=True)]
            print(f"ratio {name}/bare {statistics.median(ratios):.2f}", end="   ")
        print()
    if lag:
        rate, lags, engine_stats = lag
        print(f"engine lag at {args.lag_rate:.0f} orders/s offered ({rate:.0f}/s accepted), accepted -> engine: "
              f"p50 {percentile(lags, .5) * 1000:.1f} ms, p99 {percentile(lags, .99) * 1000:.1f} ms over "
              f"{len(lags)} orders; engine's own counters (last 2000): p50 {engine_stats.get('lag_p50_ms')} ms, "
              f"p99 {engine_stats.get('lag_p99_ms')} ms; batches {engine_stats.get('batches')}, "
              f"commands {engine_stats.get('commands')}")
    idle = [name for name in chosen if not median(name, 0)] + (["lag"] if lag and not lag[0] else [])
    if idle:
        sys.exit(f"no order accepted in: {', '.join(idle)} (see var/bench/*.log)")


if __name__ == "__main__":
    main()
