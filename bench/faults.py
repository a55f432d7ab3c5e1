"""The fault matrix: the venue as `make run` runs it (bench/stack.py), bots trading and REST
clients sending a steady stream of orders, and in turn each process killed -9 (the engine, each
web worker, the Celery worker, beat, the feed, the bots, the embedded Redis) and the database
taken away. Per fault it prints:

- back: seconds until the supervisor started the killed process again;
- accepting: seconds from the fault until an order sent is acknowledged (201) and taken by the
  engine within a second again;
- acked: orders acknowledged (201) in the fault's window; lost: acknowledged orders missing or
  never taken by the engine (must be 0); double: orders filled beyond their quantity or whose
  filled quantity differs from the sum of their trades (must be 0); 5xx: answers 5xx other than
  503 (must be 0); 503: outage answers (expected while a dependency is away); 429: admission
  control's engine_busy while the engine catches up;
- audit: `manage.py audit`'s violations; book: the engine's published book (Redis) equals the
  resting orders in the database; ws: WebSocket clients connected again and resynced by sequence.

    .venv/bin/python bench/faults.py [--smoke] [--rate 100] [--pg-restart]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeapp_faults make faults

With DATABASE_URL on PostgreSQL the database is dropped and created afresh (give it a name of its
own); without it, a SQLite file in the run's directory. The database fault makes the bench
database refuse connections and drops its sessions for 3 s (ALTER DATABASE ... ALLOW_CONNECTIONS,
pg_terminate_backend: what a restart looks like to the venue, without touching the other
databases of a shared server); --pg-restart runs `pg_ctlcluster 15 main restart` instead.
--smoke: the engine, a web worker and the embedded Redis only, at 30 orders/s.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, for Django in this process

from faultload import Load, WsWatchers, check_books, check_orders, db_setup, percentile
from stack import ROOT, Stack

# A fault is accepted again this quickly (seconds), or the run fails (the 15 s).
RECOVERY_LIMIT = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_outage(database_url: str, *, restart: bool, seconds: float = 3.0) -> None:
    """Take the bench database away: a server restart, or (default) its connections refused and dropped."""
    import psycopg
    from urllib.parse import urlsplit

    if restart:
        subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True)
        return
    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    with psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username, password=url.password,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            ends = time.monotonic() + seconds
            while time.monotonic() < ends:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
                time.sleep(0.2)
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def faults_for(args, postgres: bool) -> list[str]:
    if args.smoke:
        return ["engine", "web worker 1", "redis"]
    names = ["engine", "web worker 1", "web worker 2", "worker", "beat", "feed", "bots", "redis"]
    return names + (["postgres"] if postgres else [])


def inject(stack: Stack, fault: str, args) -> str | None:
    """Do `fault`; returns the supervisor's name of the process killed (None for the database)."""
    if fault.startswith("web worker"):
        workers = stack.web_workers()
        stack.kill(workers[int(fault.split()[-1]) - 1])
        return None
    if fault == "postgres":
        database_outage(stack.database_url, restart=args.pg_restart)
        return None
    stack.kill(stack.pid(fault))
    return fault


def run_fault(stack: Stack, load: Load, ws: WsWatchers, fault: str, args) -> dict:
    stack.wait(lambda: load.accepting_since(time.time() - 2) is not None, 60, "orders accepted before the fault")
    # Every process up and not in a backoff: what the fault finds is a settled venue.
    stack.wait(lambda: len(stack.web_workers()) == 2, 60, "both web workers")
    first, t0 = len(load.records), time.time()
    workers = stack.web_workers()
    killed = inject(stack, fault, args)
    stack.wait(lambda: load.accepting_since(t0) is not None, 90, f"orders accepted again after {fault}")
    accepting = load.accepting_since(t0) - t0
    back = None
    if killed:
        stack.wait(lambda: stack.restarted_since(killed, t0) is not None, 90, f"{killed} restarted")
        back = stack.restarted_since(killed, t0)
    elif fault.startswith("web worker"):  # uvicorn replaces its worker
        stack.wait(lambda: len(stack.web_workers()) == 2 and stack.web_workers() != workers, 60, "the worker replaced")
        back = time.time() - t0  # (polled: an upper bound)
    time.sleep(args.after)  # the venue under load once it is back
    load.pause()
    window = load.records[first:]
    row = {"fault": fault, "back": back, "accepting": accepting,
           "acked": sum(1 for r in window if r[1] == 201),
           "5xx": sum(1 for r in window if r[1] >= 500 and r[1] != 503),
           "503": sum(1 for r in window if r[1] == 503), "429": sum(1 for r in window if r[1] == 429)}
    row.update(check_orders(load.acked_ids(), timeout=args.drain_timeout))
    row["book"] = check_books(stack.redis_url)
    row["ws"] = _ws_or_skip(ws, stack)
    load.resume()
    return row


def _ws_or_skip(ws: WsWatchers, stack: Stack) -> str:
    try:
        return ws.resynced(stack.redis_url, timeout=30)
    except Exception as error:  # Redis just restarted: say so in the table rather than stop the run
        return f"error {type(error).__name__}"


def print_table(rows: list[dict]) -> None:
    cols = ["fault", "back", "accepting", "acked", "lost", "double", "5xx", "503", "429", "audit", "book", "ws"]
    fmt = {"back": lambda v: "-" if v is None else f"{v:.1f} s", "accepting": lambda v: f"{v:.1f} s"}
    cells = [[fmt.get(c, str)(row[c]) for c in cols] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for r in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--rate", type=float, default=None, help="orders/s offered by the REST clients (100; smoke 30)")
    parser.add_argument("--clients", type=int, default=None, help="REST clients (20; smoke 4)")
    parser.add_argument("--after", type=float, default=None, help="seconds of load once a fault is over (5; smoke 2)")
    parser.add_argument("--drain-timeout", type=float, default=45)
    parser.add_argument("--pg-restart", action="store_true", help="restart the PostgreSQL server for the database fault")
    parser.add_argument("--faults", default=None, help="comma-separated subset, e.g. engine,redis")
    args = parser.parse_args()
    rate = args.rate or (30 if args.smoke else 100)
    args.clients = args.clients or (4 if args.smoke else 20)
    args.after = args.after if args.after is not None else (2 if args.smoke else 5)
    var_dir = ROOT / "var" / f"faults-{os.getpid()}"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'db.sqlite3'}"
    postgres = database_url.startswith("postgres")
    stack = Stack(var_dir=var_dir, database_url=database_url, port=free_port())
    tokens = db_setup(stack, traders=args.clients)
    faults = args.faults.split(",") if args.faults else faults_for(args, postgres)
    print(f"fault matrix: {len(faults)} faults, {rate:g} orders/s from {args.clients} REST clients, bots trading, "
          f"{'PostgreSQL' if postgres else 'SQLite'}; stack log {stack.log_path}", flush=True)
    rows, failed = [], []
    started = time.monotonic()
    stack.start()
    load = Load(stack.base_url, tokens, rate=rate)
    ws = WsWatchers(stack.base_url, symbols=["AAPL"], clients=2)
    try:
        load.start()
        ws.start()
        for fault in faults:
            row = run_fault(stack, load, ws, fault, args)
            rows.append(row)
            print(f"  {fault}: accepting again after {row['accepting']:.1f} s, {row['acked']} acked, "
                  f"lost {row['lost']}, double {row['double']}, 5xx {row['5xx']}, audit {row['audit']}, "
                  f"book {row['book']}, ws {row['ws']}", flush=True)
    finally:
        load.stop()
        ws.stop()
        left = stack.stop()
    latencies = [r[2] for r in load.records if r[1] == 201]
    print(f"\n{len(load.records)} requests ({load.achieved_rate():.0f}/s while the clients ran; {rate:g}/s offered), "
          f"{sum(r['acked'] for r in rows)} orders acked in the fault windows, "
          f"201 latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms p99 {percentile(latencies, 0.99) * 1000:.0f} ms; "
          f"{time.monotonic() - started:.0f} s; processes left after the supervisor stopped: {left}\n")
    print_table(rows)
    for row in rows:
        if row["lost"] or row["double"] or row["5xx"] or row["audit"] != 0 or row["book"] != "ok" or row["ws"] != "ok":
            failed.append(row["fault"])
        if row["accepting"] > RECOVERY_LIMIT:
            failed.append(f"{row['fault']} (accepting after {row['accepting']:.1f} s > {RECOVERY_LIMIT:g} s)")
    if left:
        failed.append(f"{left} processes left")
    if not sum(r["acked"] for r in rows):
        failed.append("no order acknowledged")
    if failed:
        print(f"\nFAILED: {', '.join(failed)}")
        return 1
    shutil.copy(stack.log_path, ROOT / "var" / "faults-last.log")  # the supervisor's console, for reading
    shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
