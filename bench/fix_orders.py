"""FIX order entry beside single REST POSTs, in the same run on the same stack (web + engine + FIX gateway):

- single POST orders/: --clients threads, each one keep-alive connection and one trader, closed loop;
- NewOrderSingle through ONE FIX session at full speed, --window orders in flight (a FIX client
  does not wait for one report before sending the next): first ExecutionReports per second and the
  ratio to the single-POST rate;
- first-ExecutionReport latency at a fixed --rate orders/s through the session (open loop, on a
  fixed schedule: a late order is sent at once, never skipped): send -> first ExecutionReport
  p50/p99/max, and the same rate of single POSTs beside it;
- the gateway's CPU per order of each FIX phase.

    .venv/bin/python bench/fix_orders.py [--seconds 15] [--clients 4] [--window 32] [--rate 200]

Uses DATABASE_URL / REDIS_URL as bench/orders_e2e.py does (the database is flushed at start);
otherwise a fresh SQLite file under var/bench and the system Redis at 127.0.0.1:6379/11.
"""

import argparse
import asyncio
import itertools
import os
import random
import signal
import sys
import time
from pathlib import Path

import orders_e2e as e2e

ROOT = e2e.ROOT
PY = e2e.PY


class FixClient:
    """One FIX session over asyncio: NewOrderSingles out, first ExecutionReport per ClOrdID timed."""

    def __init__(self, codec, comp_id: str):
        self.codec, self.comp_id = codec, comp_id
        self.seq = 1
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.first_reports = 0
        self.refused = 0
        self.first_refusal = None
        self.answered = asyncio.Event()

    async def connect(self, port: int, key_id: str, secret: str) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.frames = self.codec.FrameReader()
        self.send("A", [(98, 0), (108, 30), (553, key_id), (554, secret), (141, "Y")])
        self.seq = 2
        logon = await self.next_message()
        assert logon.msg_type == "A", logon.pairs
        self.reading = asyncio.create_task(self.read())

    def send(self, msg_type: str, fields) -> None:
        raw, _ = self.codec.encode(msg_type=msg_type, seq=self.seq, sender=self.comp_id, target="VENUE", fields=fields)
        self.seq += 1
        self.writer.write(raw)

    async def next_message(self):
        while True:
            pending = getattr(self, "_pending", [])
            if pending:
                return pending.pop(0)
            data = await self.reader.read(1 << 16)
            if not data:
                raise ConnectionError("the gateway closed the session")
            self._pending = [self.codec.parse(frame) for frame in self.frames.feed(data)
                             if not isinstance(frame, self.codec.Garbled)]

    async def read(self) -> None:
        while True:
            message = await self.next_message()
            if message.msg_type == "1":
                self.send("0", [(112, message.get(112))])
            if message.msg_type != "8":
                continue
            sent_at = self.sent.pop(message.get(11), None)
            if sent_at is None:
                continue
            self.first_reports += 1
            self.latencies.append(time.perf_counter() - sent_at)
            if message.get(150) == "8":
                self.refused += 1
                self.first_refusal = self.first_refusal or message.get(58)
            self.answered.set()

    def order(self, rng, cl_ord_id: str) -> None:
        body = e2e.order_dict(rng)
        self.sent[cl_ord_id] = time.perf_counter()
        self.send("D", [(11, cl_ord_id), (55, body["symbol"]), (54, "1" if body["side"] == "buy" else "2"),
                        (60, self.codec.utc_timestamp()), (38, body["qty"]), (40, "2"), (44, body["limit_price"]),
                        (59, "1")])


async def fix_phase(client: FixClient, seconds: float, *, window: int | None = None, rate: float | None = None,
                    tag: str = "x") -> float:
    rng = random.Random(7)
    ids = (f"{tag}-{i}" for i in itertools.count())
    start_reports = client.first_reports
    client.latencies = []
    begin = time.perf_counter()
    stop_at = begin + seconds
    k = 0
    while time.perf_counter() < stop_at:
        if rate:
            wait = begin + k / rate - time.perf_counter()
            k += 1
            if wait > 0:
                await asyncio.sleep(wait)
        else:
            while len(client.sent) >= window:
                client.answered.clear()
                await client.answered.wait()
        client.order(rng, next(ids))
        await client.writer.drain()
    deadline = time.perf_counter() + 30
    while client.sent and time.perf_counter() < deadline:
        client.answered.clear()
        try:
            await asyncio.wait_for(client.answered.wait(), 1)
        except TimeoutError:
            pass
    if client.sent:
        print(f"    ({len(client.sent)} orders without an ExecutionReport 30 s after the phase)", flush=True)
    return (client.first_reports - start_reports) / (time.perf_counter() - begin)


def ms(values, q) -> str:
    return f"{e2e.percentile(values, q) * 1000:.2f} ms" if values else "-"


def make_fix_session():
    """A FIX order entry session of the first bench trader, with an API key: (key id, secret)."""
    from django.contrib.auth.models import User
    from django.db import connection

    from gateways.fix.models import FixSession
    from orders.models import Account
    from orders.services.api_keys import api_key_create

    user = User.objects.get(username="bench0")
    key, secret = api_key_create(user=user, scopes=["read", "trade"], label="bench")
    FixSession.objects.create(sender_comp_id="BENCH", account=Account.objects.get(user=user), kind="order_entry")
    connection.close()
    return key.key_id, secret


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase")
    parser.add_argument("--clients", type=int, default=4, help="REST client threads")
    parser.add_argument("--window", type=int, default=32, help="orders in flight through the FIX session at full speed")
    parser.add_argument("--rate", type=float, default=200, help="orders/s offered in the latency phase")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn web processes")
    parser.add_argument("--port", type=int, default=8794)
    parser.add_argument("--fix-port", type=int, default=9894)
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
               ENGINE_MAX_LAG_MS="1000", AUTH_FAILURES_PER_ADDRESS="1000000", FIX_MAX_MESSAGES_PER_SECOND="1000000")
    env.setdefault("DJANGO_SETTINGS_MODULE", "tradeapp.settings.dev")
    env["PATH"] = f"{e2e.BIN}{os.pathsep}{env.get('PATH', '')}"
    if not env.get("DATABASE_URL"):
        db = ROOT / "var" / "bench" / "fix_orders.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
    import redis

    r = redis.Redis.from_url(env["REDIS_URL"])
    r.flushdb()
    tokens = e2e.setup_database(env, args.clients)
    key_id, secret = make_fix_session()
    from gateways.fix import codec
    from orders.bus import stream_for_shard

    stream = stream_for_shard(0, 1)
    database = "PostgreSQL" if "postgres" in env["DATABASE_URL"] else "SQLite"
    web = e2e.start(env, [str(e2e.BIN / "uvicorn"), "tradeapp.asgi:application", "--host", "127.0.0.1", "--port",
                          str(args.port), "--workers", str(args.workers), "--no-access-log", "--log-level", "warning",
                          "--lifespan", "off"], "fix_orders_web")
    engine = e2e.start(env, [PY, "manage.py", "run_engine"], "fix_orders_engine")
    gateway = e2e.start(env, [PY, "manage.py", "run_fix", "--port", str(args.fix_port)], "fix_orders_gateway")
    print(f"# uvicorn x{args.workers}, {database}, {args.clients} REST clients, one FIX session, {args.seconds:.0f} s "
          f"per phase, window {args.window}, {os.cpu_count()} cores, load average at start "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    figures = {}
    try:
        e2e.wait_http(args.port)
        e2e.load(args.port, tokens, 1, args.clients, e2e.order_body, "/api/v1/orders/")

        async def fix_run():
            client = FixClient(codec, "BENCH")
            for _ in range(100):
                try:
                    await client.connect(args.fix_port, key_id, secret)
                    break
                except OSError:
                    await asyncio.sleep(0.2)
            await fix_phase(client, 1, window=args.window, tag="warm")
            out = {}
            for name, kwargs in (("fix", {"window": args.window}), ("fix_fixed", {"rate": args.rate})):
                e2e.wait_drained(r, stream)
                cpu0 = e2e.tree_cpu([gateway.pid])
                rate = await fix_phase(client, args.seconds, tag=name, **kwargs)
                cpu = (e2e.tree_cpu([gateway.pid]) - cpu0) / max(rate * args.seconds, 1e-9) * 1000
                out[name] = (rate, list(client.latencies), cpu, client.refused, client.first_refusal)
            client.writer.close()
            return out

        def rest(label, rate=None):
            e2e.wait_drained(r, stream)
            ok, latencies, errors, _, refused = e2e.load(args.port, tokens, args.seconds, args.clients,
                                                         e2e.order_body, "/api/v1/orders/", rate=rate)
            print(f"  {label:36s} {ok:8.1f} orders/s  p50 {ms(latencies, .5)}  p99 {ms(latencies, .99)}  errors "
                  f"{errors}  429 {refused}", flush=True)
            return ok, latencies

        figures["rest"], _ = rest("single POST orders/ (max)")
        fix = asyncio.run(fix_run())
        for name, label in (("fix", f"FIX NewOrderSingle (max, window {args.window})"),
                            ("fix_fixed", f"FIX NewOrderSingle at {args.rate:.0f}/s offered")):
            rate, latencies, cpu, refused, first = fix[name]
            figures[name], figures[name + "_latencies"] = rate, latencies
            print(f"  {label:36s} {rate:8.1f} orders/s  first report p50 {ms(latencies, .5)}  p99 "
                  f"{ms(latencies, .99)}  max {ms(latencies, 1)}  refused {refused}"
                  f"{'  first refusal ' + str(first) if first else ''}  gateway CPU {cpu:.2f} ms/order", flush=True)
        figures["rest_fixed"], figures["rest_latencies"] = rest(f"single POST at {args.rate:.0f}/s offered", args.rate)
        e2e.wait_drained(r, stream)
    finally:
        for process in (web, engine, gateway):
            try:
                os.killpg(process.pid, 15)
            except ProcessLookupError:
                pass
        for process in (web, engine, gateway):
            try:
                process.wait(10)
            except Exception:
                os.killpg(process.pid, 9)

    ratio = figures["fix"] / figures["rest"] if figures.get("rest") else float("nan")
    lat = figures.get("fix_fixed_latencies", [])
    print(f"\n== uvicorn x{args.workers}, {database} ==")
    print(f"single POST {figures['rest']:.1f} orders/s; one FIX session {figures['fix']:.1f} orders/s; "
          f"ratio fix/single {ratio:.2f} (target >= 2)")
    print(f"first ExecutionReport at {args.rate:.0f}/s offered ({figures['fix_fixed']:.1f}/s reported): p50 "
          f"{ms(lat, .5)}, p99 {ms(lat, .99)} (target p99 < 10 ms); single POST at the same rate: p50 "
          f"{ms(figures.get('rest_latencies', []), .5)}, p99 {ms(figures.get('rest_latencies', []), .99)}")
    idle = [name for name in ("rest", "fix", "fix_fixed", "rest_fixed") if not figures.get(name)]
    if idle:
        sys.exit(f"no order placed in: {', '.join(idle)} (see var/bench/fix_orders_*.log)")


if __name__ == "__main__":
    main()
