"""WebSocket fan-out benchmark: N WebSocket clients on one symbol against the running web stack.

For each server under test (Daphne and/or uvicorn, one process per core sharing one listening
socket, serving tradeapp.asgi) and, in the same run, a bare `websockets` broadcast server (the
ceiling), it:
- opens --clients WebSocket clients (in --client-procs processes) subscribed to `book` and
  `quotes` of one symbol;
- drives book and quote updates at --rate batches/s through the engine's real publisher
  (orders/worker/publish.py over the pure matching engine, so the Redis snapshot, book sequence
  and pub/sub messages are exactly the engine's);
- prints messages delivered per second, publish-to-receive latency p50/p99 (the messages' `ts`
  is taken at publish), the server processes' CPU, and each figure as a ratio of the ceiling.

    .venv/bin/python bench/ws_fanout.py [--clients 1000] [--rate 30] [--seconds 15] [--server uvicorn,daphne]

Uses REDIS_URL (default redis://127.0.0.1:6379/12) and a fresh SQLite database under var/.
"""

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SYMBOL = "BENCH"
CLK = os.sysconf("SC_CLK_TCK")


# --- helpers -------------------------------------------------------------------------------
def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def cpu_seconds(pids) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK  # utime + stime
        except (OSError, IndexError):
            pass
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def parse_ts(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


# --- clients (a child process) ---------------------------------------------------------------
# The clients are a minimal WebSocket reader on asyncio's Protocol (handshake, masked frames out,
# unmasked frames in), so that 1,000 of them on this machine leave the cores to the servers;
# a full client library costs more per message than the servers being measured.
def masked_text_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + mask + body


class Reader(asyncio.Protocol):
    def __init__(self, stats, window, opened):
        self.stats, self.window, self.opened = stats, window, opened
        self.buffer = b""
        self.handshaken = False

    def connection_made(self, transport):
        self.transport = transport
        key = __import__("base64").b64encode(os.urandom(16)).decode()
        transport.write((f"GET /ws/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())

    def data_received(self, data):
        buffer = self.buffer + data
        if not self.handshaken:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.stats["errors"] += 1
                self.transport.close()
                return
            self.handshaken = True
            buffer = buffer[end + 4:]
            self.transport.write(masked_text_frame(json.dumps(
                {"action": "subscribe", "channels": ["book", "quotes"], "symbols": [SYMBOL]})))
            self.opened.set_result(None) if not self.opened.done() else None
        now = time.time()
        begin, end_ = self.window
        counting = begin <= now < end_
        stats, latencies = self.stats, self.stats["latencies"]
        at, size = 0, len(buffer)
        while size - at >= 2:
            opcode, length = buffer[at] & 0x0F, buffer[at + 1] & 0x7F
            head = 2
            if length == 126:
                if size - at < 4:
                    break
                length, head = int.from_bytes(buffer[at + 2:at + 4], "big"), 4
            elif length == 127:
                if size - at < 10:
                    break
                length, head = int.from_bytes(buffer[at + 2:at + 10], "big"), 10
            if size - at < head + length:
                break
            if opcode == 1 and counting:
                payload = buffer[at + head:at + head + length]
                if payload.startswith(b'{"type":"book_delta"') or payload.startswith(b'{"type":"quote"'):
                    stats["received"] += 1
                    ts = payload.rfind(b'"ts":"')
                    if ts >= 0:
                        latencies.append(now - parse_ts(payload[ts + 6:payload.index(b'"', ts + 6)].decode()))
            elif opcode == 8:
                self.stats["closed"] += 1
            at += head + length
        self.buffer = buffer[at:]

    def connection_lost(self, exc):
        if not self.opened.done():
            self.opened.set_result(None)


async def run_clients(port: int, count: int, window: tuple[float, float], stop_at: float, out) -> None:
    loop = asyncio.get_running_loop()
    stats = {"received": 0, "latencies": [], "errors": 0, "closed": 0}
    transports = []
    for i in range(count):
        opened = loop.create_future()
        try:
            transport, _ = await loop.create_connection(lambda: Reader(stats, window, opened), "127.0.0.1", port)
            transports.append(transport)
            await asyncio.wait_for(opened, 30)
        except (OSError, TimeoutError):
            stats["errors"] += 1
    connected_at = time.time()
    await asyncio.sleep(max(0, stop_at - time.time()))
    for transport in transports:
        transport.abort()
    latencies = stats["latencies"]
    json.dump({"received": stats["received"], "latencies": latencies[::max(1, len(latencies) // 200_000)],
               "errors": stats["errors"] + stats["closed"], "connected_at": connected_at}, out)


def client_main(args) -> None:
    import uvloop

    window = (args.begin, args.end)
    with open(args.out, "w") as out:
        uvloop.run(run_clients(args.port, args.count, window, args.stop_at, out))


# --- the bare websockets server (a child process): the ceiling -------------------------------
async def run_bare(fd: int) -> None:
    import redis.asyncio
    from websockets.asyncio.server import broadcast, serve

    from realtime.channels import symbol_channel

    clients = set()

    async def handler(ws):
        clients.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            clients.discard(ws)

    sock = socket.socket(fileno=fd)
    r = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"])
    pubsub = r.pubsub()
    await pubsub.subscribe(symbol_channel(SYMBOL))
    async with serve(handler, sock=sock, compression=None, max_queue=None, ping_interval=None):
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if not message:
                continue
            data = json.loads(message["data"])
            # The same work per message as the hub: decode once, serialize once per client message.
            if "book" in data:
                broadcast(clients, json.dumps({"type": "book_delta", "symbol": SYMBOL, "seq": data["book"]["seq"],
                                               "changes": data["book"]["changes"], "ts": data["ts"]},
                                              separators=(",", ":")))
            if "quote" in data:
                broadcast(clients, json.dumps({"type": "quote", "symbol": SYMBOL, **data["quote"]},
                                              separators=(",", ":")))


def bare_main(args) -> None:
    import uvloop

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    uvloop.run(run_bare(args.fd))


# --- the driver: the engine's publisher over the pure engine ---------------------------------
class BenchBook:
    """The pure engine with one symbol, driven as the worker would drive it, without a database."""

    def __init__(self):
        from orders import engine as eng

        self.eng = eng
        self.spec = eng.InstrumentSpec(Decimal("0.01"), Decimal("1"))
        self.engine = eng.MatchingEngine()
        self.engine.add_symbol(SYMBOL)
        self.next_id = 1
        self.resting: list[int] = []


def drive_batch(book: BenchBook, rng):
    """One batch: cancel a resting order and add two around the top of the book (no crossing), as
    the `BatchResult` the worker hands its publisher."""
    from orders.worker.core import BOOK_DEPTH, BatchResult

    eng, engine, events = book.eng, book.engine, []
    if len(book.resting) > 40:
        order_id = book.resting.pop(rng.randrange(len(book.resting)))
        events += engine.apply(eng.Cancel(order_id=order_id, symbol=SYMBOL))
    spec = book.spec
    for side, low, high in (("buy", 9900, 9999), ("sell", 10001, 10100)):
        order_id, book.next_id = book.next_id, book.next_id + 1
        ticks = rng.randint(low, high) if rng.random() < 0.5 else (9999 if side == "buy" else 10001)  # often the top
        command = spec.new_order(order_id=order_id, account_id=1 if side == "buy" else 2, symbol=SYMBOL, side=side,
                                 qty=Decimal(rng.randint(1, 9)), price=spec.ticks_to_price(ticks))
        events += engine.apply(command)
        book.resting.append(order_id)
    return BatchResult(updates=[], events=events, lags=[],
                       books={SYMBOL: (engine.l1(SYMBOL), engine.l2(SYMBOL, BOOK_DEPTH))}, specs={SYMBOL: spec})


async def drive(rate: float, until: float, counts: dict) -> None:
    import redis.asyncio

    from realtime.channels import symbol_channel
    from realtime.publish.engine import EnginePublisher

    book, rng = BenchBook(), random.Random(1)
    client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"])
    publisher = EnginePublisher(client)
    interval, next_at = 1 / rate, time.monotonic()
    pubsub = client.pubsub()
    await pubsub.subscribe(symbol_channel(SYMBOL))  # count what is published, as a subscriber sees it
    while time.time() < until:
        await publisher.publish_batch(drive_batch(book, rng))
        next_at += interval
        await asyncio.sleep(max(0, next_at - time.monotonic()))
        while (message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=0)) is not None:
            data = json.loads(message["data"])
            counts["published"].append((time.time(), ("book" in data) + ("quote" in data)))
    await pubsub.aclose()
    await client.aclose()


# --- orchestration -----------------------------------------------------------------------------
def setup(env) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    from marketdata.models import Instrument

    Instrument.objects.get_or_create(symbol=SYMBOL, defaults={"name": "Bench", "tick_size": Decimal("0.01"),
                                                              "lot_size": Decimal("1"),
                                                              "reference_price": Decimal("100")})
    import redis

    r = redis.Redis.from_url(env["REDIS_URL"])
    r.delete(f"md:book:{SYMBOL}", f"md:bookseq:{SYMBOL}", f"md:quote:{SYMBOL}")


def server_argv(kind: str, fd: int) -> list[str]:
    if kind == "daphne":
        return [str(BIN / "daphne"), "--fd", str(fd), "tradeapp.asgi:application"]
    if kind == "uvicorn":
        return [str(BIN / "uvicorn"), "tradeapp.asgi:application", "--fd", str(fd), "--lifespan", "off",
                "--no-access-log", "--log-level", "warning", "--ws-per-message-deflate", "false"]
    return [sys.executable, __file__, "--role", "bare", "--fd", str(fd)]


def measure(kind: str, args, env) -> dict:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]
    logs = [open(ROOT / "var" / f"ws-bench-{kind}-{i}.log", "wb") for i in range(args.procs)]
    servers = [subprocess.Popen(server_argv(kind, listener.fileno()), cwd=ROOT, env=env,
                                pass_fds=(listener.fileno(),), stdout=log, stderr=subprocess.STDOUT)
               for log in logs]
    time.sleep(3)
    now = time.time()
    connect_time = args.clients * 0.002 / args.client_procs + 8
    begin = now + connect_time + args.warmup
    end = begin + args.seconds
    stop_at = end + 2
    outs = [ROOT / "var" / f"ws-bench-client-{i}.json" for i in range(args.client_procs)]
    clients = [subprocess.Popen([sys.executable, __file__, "--role", "client", "--port", str(port),
                                 "--count", str(args.clients // args.client_procs), "--begin", str(begin),
                                 "--end", str(end), "--stop-at", str(stop_at), "--out", str(out)],
                                cwd=ROOT, env=env) for out in outs]
    time.sleep(max(0, now + connect_time - time.time()))
    counts = {"published": []}

    async def run_driver():
        await drive(args.rate, end + 0.5, counts)

    import threading

    driver = threading.Thread(target=lambda: asyncio.run(run_driver()))
    driver.start()
    time.sleep(max(0, begin - time.time()))
    cpu0, t0, m0 = cpu_seconds(s.pid for s in servers), time.time(), machine_busy()
    c0 = cpu_seconds(c.pid for c in clients)
    time.sleep(max(0, end - time.time()))
    cpu1, t1, m1 = cpu_seconds(s.pid for s in servers), time.time(), machine_busy()
    c1 = cpu_seconds(c.pid for c in clients)
    driver.join()
    for c in clients:
        c.wait(timeout=120)
    for s in servers:
        s.terminate()
    for s in servers:
        try:
            s.wait(timeout=10)
        except subprocess.TimeoutExpired:
            s.kill()
    listener.close()
    for log in logs:
        log.close()
    received, latencies, errors = 0, [], 0
    for out in outs:
        data = json.loads(out.read_text())
        received += data["received"]
        latencies += data["latencies"]
        errors += data["errors"]
        if data["connected_at"] > begin:
            print(f"  warning: {kind} clients still connecting {data['connected_at'] - begin:.1f} s into the window")
    published = sum(n for t, n in counts["published"] if begin <= t < end)
    wall = t1 - t0
    return {"server": kind, "delivered_per_s": received / args.seconds,
            "offered_per_s": published * (args.clients // args.client_procs * args.client_procs) / args.seconds,
            "p50_ms": percentile(latencies, 0.50) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
            "server_cpu_cores": (cpu1 - cpu0) / wall, "client_cpu_cores": (c1 - c0) / wall,
            "machine_busy": (m1[0] - m0[0]) / max(1, m1[1] - m0[1]), "client_errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", default="main", choices=("main", "client", "bare"))
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="web processes (one per core)")
    parser.add_argument("--rate", type=float, default=30, help="engine batches per second (each: delta + quote)")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--server", default="uvicorn,daphne")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds with a few clients (the test suite runs this): proves the benchmark runs "
                             "and fails if any server delivered nothing")
    # child roles
    parser.add_argument("--port", type=int)
    parser.add_argument("--count", type=int)
    parser.add_argument("--begin", type=float)
    parser.add_argument("--end", type=float)
    parser.add_argument("--stop-at", type=float)
    parser.add_argument("--out")
    parser.add_argument("--fd", type=int)
    args = parser.parse_args()
    if args.role == "client":
        return client_main(args)
    if args.role == "bare":
        return bare_main(args)
    if args.smoke:
        args.clients, args.client_procs, args.procs, args.seconds, args.warmup = 20, 1, 1, 2, 1
        args.server = args.server if "--server" in sys.argv else "uvicorn"

    env = dict(os.environ, LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="tradeapp.settings.dev",
               DATABASE_URL=f"sqlite:///{ROOT / 'var' / 'bench-ws.sqlite3'}", PYTHONPATH=str(ROOT))
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    (ROOT / "var").mkdir(exist_ok=True)
    setup(env)
    print(f"{args.clients} clients on one symbol, book + quotes, {args.rate:g} engine batches/s, "
          f"{args.procs} server processes, {args.seconds:g} s measured, {os.cpu_count()} cores", flush=True)
    rows = [measure(kind, args, env) for kind in [*args.server.split(","), "bare"]]
    ceiling = rows[-1]
    header = f"{'server':<22}{'offered/s':>11}{'delivered/s':>13}{'p50 ms':>9}{'p99 ms':>9}{'server CPU':>11}" \
             f"{'vs ceiling':>12}{'clients CPU':>12}{'machine busy':>13}{'errors':>8}"
    print(header)
    for row in rows:
        name = "websockets (ceiling)" if row["server"] == "bare" else row["server"]
        print(f"{name:<22}{row['offered_per_s']:>11,.0f}{row['delivered_per_s']:>13,.0f}{row['p50_ms']:>9.1f}"
              f"{row['p99_ms']:>9.1f}{row['server_cpu_cores']:>11.2f}"
              f"{ratio(row['delivered_per_s'], ceiling['delivered_per_s']):>12.2f}{row['client_cpu_cores']:>12.2f}"
              f"{row['machine_busy']:>13.0%}{row['client_errors']:>8}")
    print(json.dumps(rows))
    silent = [row["server"] for row in rows if not row["delivered_per_s"]]
    if silent:
        sys.exit(f"no message delivered by: {', '.join(silent)} (see var/ws-bench-*.log)")


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("nan")


if __name__ == "__main__":
    main()
