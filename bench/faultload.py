"""What bench/faults.py drives and checks: the bench database, REST clients sending orders on a
fixed schedule (every answer recorded), WebSocket clients keeping a book by sequence, and the
checks after each fault (orders, books, audit)."""

import asyncio
import http.client
import json
import os
import random
import threading
import time
from decimal import Decimal
from io import StringIO
from urllib.parse import urlsplit

import redis
import websockets

SYMBOL = "AAPL"


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def db_setup(stack, *, traders: int) -> list[str]:
    """A fresh database for the stack (migrated, the demo venue, funded REST traders); this
    process keeps Django set up on it for the checks. Returns one API token per trader."""
    os.environ.update(DATABASE_URL=stack.database_url, REDIS_URL=stack.redis_url, TRADEAPP_VAR_DIR=str(stack.var_dir),
                      DJANGO_SETTINGS_MODULE="tradeapp.settings.dev", PROMETHEUS_MULTIPROC_DIR=str(stack.var_dir / "metrics"))
    if stack.database_url.startswith("postgres"):
        _recreate_postgres(stack.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    tokens = []
    for i in range(traders):
        out = StringIO()
        call_command("create_trader", f"fault{i}", "--cash", "900000000", "--position", f"{SYMBOL}:5000000",
                     stdout=out, stderr=StringIO())
        tokens.append(out.getvalue().strip().split()[-1])
    connection.close()
    return tokens


def _recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _db_call(function, default):
    """`function()` on this process's connection; `default` while the database is away."""
    from django.db import connection
    from django.db.utils import DatabaseError

    try:
        return function()
    except DatabaseError:
        connection.close()
        return default


class Load:
    """REST clients offering `rate` single orders per second together (open loop). Each answer is
    recorded as (time sent, status or 0 for no answer, latency, order id or None)."""

    def __init__(self, base_url: str, tokens: list[str], *, rate: float):
        parts = urlsplit(base_url)
        self.host, self.port, self.tokens, self.rate = parts.hostname, parts.port, tokens, rate
        self.records: list[tuple[float, int, float, int | None]] = []
        self.running = threading.Event()
        self.stopping = threading.Event()
        self.reference = Decimal("190.00")
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        self.since, self.ran = time.monotonic(), 0.0
        self.running.set()
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(len(self.tokens))]
        for thread in self.threads:
            thread.start()

    def pause(self) -> None:
        self.running.clear()
        self.ran += time.monotonic() - self.since
        time.sleep(0.5)  # requests in flight are answered

    def resume(self) -> None:
        self.since = time.monotonic()
        self.running.set()

    def achieved_rate(self) -> float:
        """Requests answered per second of the time the clients ran."""
        ran = self.ran + (time.monotonic() - self.since if self.running.is_set() else 0)
        return len(self.records) / ran if ran else 0.0

    def stop(self) -> None:
        if self.running.is_set():
            self.ran += time.monotonic() - self.since
        self.stopping.set()
        self.running.set()
        self.since = time.monotonic()
        for thread in self.threads:
            thread.join(timeout=30)

    def _body(self, rng: random.Random) -> str:
        price = self.reference + Decimal(rng.randint(-30, 30)) / 100
        return json.dumps({"symbol": SYMBOL, "side": rng.choice(("buy", "sell")), "type": "limit",
                           "qty": str(rng.randint(1, 5)), "limit_price": str(price),
                           "time_in_force": rng.choice(("gtc", "gtc", "ioc"))})

    def _client(self, i: int) -> None:
        rng = random.Random(i)
        headers = {"Authorization": f"Token {self.tokens[i]}", "Content-Type": "application/json"}
        conn, period, due = None, len(self.tokens) / self.rate, time.monotonic() + i / self.rate
        while not self.stopping.is_set():
            if not self.running.is_set():
                self.running.wait()
                due = time.monotonic()
            due += period
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            sent, started = time.time(), time.perf_counter()
            try:
                conn = conn or http.client.HTTPConnection(self.host, self.port, timeout=30)
                conn.request("POST", "/api/v1/orders/", body=self._body(rng), headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn, status, payload = None, 0, b""
            order_id = None
            if status == 201:
                order_id = json.loads(payload)["id"]
            elif status == 422 and i == 0 and b"price" in payload:
                self._follow_reference()
            self.records.append((sent, status, time.perf_counter() - started, order_id))

    def _follow_reference(self) -> None:
        from marketdata.models import Instrument

        price = _db_call(lambda: Instrument.objects.get(symbol=SYMBOL).reference_price, None)
        if price is not None:
            self.reference = Decimal(price)

    def acked_ids(self) -> list[int]:
        return [r[3] for r in list(self.records) if r[3] is not None]

    def accepting_since(self, since: float) -> float | None:
        """The send time of the first order after `since` that was acknowledged and taken by the
        engine within a second of its acceptance; None if there is none yet."""
        from orders.models import Order

        candidates = [(r[0], r[3]) for r in list(self.records) if r[0] >= since and r[3] is not None][:200]
        if not candidates:
            return None
        rows = _db_call(lambda: {i: (a, e) for i, a, e in Order.objects.filter(id__in=[c[1] for c in candidates])
                                 .values_list("id", "accepted_at", "engine_at")}, None)
        for sent, order_id in candidates if rows is not None else ():
            accepted_at, engine_at = rows.get(order_id, (None, None))
            if engine_at and accepted_at and (engine_at - accepted_at).total_seconds() < 1.0:
                return sent
        return None


def check_orders(acked: list[int], *, timeout: float) -> dict:
    """Wait until the engine has taken every acknowledged order; then lost, double-filled, audit."""
    from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from orders.audit import audit_run
    from orders.models import Order, Trade

    QTY = DecimalField(max_digits=20, decimal_places=8)
    deadline = time.monotonic() + timeout
    while True:
        found = _db_call(lambda: dict(Order.objects.filter(id__in=acked).values_list("id", "status")), None)
        if found is not None:
            waiting = [i for i in acked if found.get(i) in (None, Order.Status.ACCEPTED)]
            if not waiting or time.monotonic() > deadline:
                break
        time.sleep(0.5)
    # One statement (one snapshot): the bots keep filling these orders meanwhile.
    def traded(side: str):
        return Coalesce(Subquery(Trade.objects.filter(**{side: OuterRef("pk")}).values(side)
                                 .annotate(q=Sum("qty")).values("q")), Value(Decimal(0)), output_field=QTY)
    mine = Order.objects.filter(account__user__username__startswith="fault")
    double = (mine.annotate(traded=ExpressionWrapper(traded("maker_order") + traded("taker_order"), output_field=QTY))
              .filter(Q(filled_qty__gt=F("qty")) | ~Q(filled_qty=F("traded"))).count())
    return {"lost": len(waiting), "double": double, "audit": len(audit_run())}


def check_books(redis_url: str, *, timeout: float = 15) -> str:
    """"ok" once the engine's published book of every symbol equals its resting orders in the
    database (bots keep trading: compared until both are read at one moment)."""
    from django.db.models import F, Q, Sum

    from marketdata.models import Instrument
    from orders.models import Order
    from realtime.channels import book_key

    client = redis.Redis.from_url(redis_url)
    open_ = (Order.Status.NEW, Order.Status.PARTIALLY_FILLED, Order.Status.PENDING_CANCEL)
    differs: set[str] = set()
    deadline = time.monotonic() + timeout
    for symbol in Instrument.objects.values_list("symbol", flat=True):
        while True:
            raw = client.get(book_key(symbol))
            published = json.loads(raw) if raw else {"bids": [], "asks": []}
            rows = Order.objects.filter(Q(stop_price__isnull=True) | Q(stop_triggered=True), instrument__symbol=symbol,
                                        status__in=open_, engine_at__isnull=False, limit_price__isnull=False)
            levels = {"buy": {}, "sell": {}}
            for side, price, leaves in rows.values("side", "limit_price").annotate(q=Sum(F("qty") - F("filled_qty"))) \
                    .values_list("side", "limit_price", "q"):
                levels[side][Decimal(price)] = Decimal(leaves)
            same = all(
                {Decimal(p): Decimal(q) for p, q in published[key]} ==
                dict(sorted(levels[side].items(), reverse=side == "buy")[:len(published[key]) or None])
                for key, side in (("bids", "buy"), ("asks", "sell")))
            if same:
                differs.discard(symbol)
                break
            differs.add(symbol)
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
    return "ok" if not differs else "differs: " + ",".join(sorted(differs))


class WsWatchers:
    """WebSocket clients on `book` that keep each book by `seq` (a gap: resubscribe, as API.md
    says), reconnecting when the socket goes."""

    def __init__(self, base_url: str, *, symbols: list[str], clients: int):
        self.url = base_url.replace("http://", "ws://") + "/ws/v1/"
        self.symbols, self.clients = symbols, clients
        self.books: list[dict] = [{} for _ in range(clients)]  # symbol -> {"seq", "bids", "asks"}
        self.connected = [False] * clients
        self.reconnects = [0] * clients
        self.resyncs = [0] * clients
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.tasks = []

    def start(self) -> None:
        self.thread.start()
        self.tasks = [asyncio.run_coroutine_threadsafe(self._client(i), self.loop) for i in range(self.clients)]

    def stop(self) -> None:
        async def cancel_all():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(timeout=15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    async def _client(self, i: int) -> None:
        while True:
            try:
                async with websockets.connect(self.url, open_timeout=10, ping_interval=5, ping_timeout=10) as ws:
                    await ws.send(json.dumps({"action": "subscribe", "channels": ["book"], "symbols": self.symbols}))
                    self.connected[i] = True
                    async for text in ws:
                        message = json.loads(text)
                        if await self._apply(i, message):
                            self.resyncs[i] += 1
                            await ws.send(json.dumps({"action": "unsubscribe", "channels": ["book"],
                                                      "symbols": [message["symbol"]]}))
                            await ws.send(json.dumps({"action": "subscribe", "channels": ["book"],
                                                      "symbols": [message["symbol"]]}))
            except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
                pass
            self.connected[i] = False
            self.books[i] = {}
            self.reconnects[i] += 1
            await asyncio.sleep(0.5)

    async def _apply(self, i: int, message: dict) -> bool:
        """Apply a book message; True when it shows a gap (a resync is needed)."""
        book = self.books[i]
        if message.get("type") == "book_snapshot":
            book[message["symbol"]] = {"seq": message["seq"], "bids": {p: q for p, q in message["bids"]},
                                       "asks": {p: q for p, q in message["asks"]}}
        elif message.get("type") == "book_delta":
            mine = book.get(message["symbol"])
            if mine is None:
                return False  # its snapshot is on the way
            if message["seq"] != mine["seq"] + 1:
                del book[message["symbol"]]
                return True
            mine["seq"] = message["seq"]
            for side, price, qty in message["changes"]:
                levels = mine["bids" if side == "buy" else "asks"]
                if Decimal(qty) == 0:
                    levels.pop(price, None)
                else:
                    levels[price] = qty
        return False

    def resynced(self, redis_url: str, *, timeout: float) -> str:
        """"ok" once every client is connected and holds, for each symbol, the engine's published
        book (Redis) at the same seq: reconnected, resynced, no gap left."""
        client = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.connected) and all(self._matches(client, book) for book in self.books):
                return "ok"
            time.sleep(0.1)
        return f"not resynced (connected {self.connected}, books {[sorted(b) for b in self.books]})"

    def _matches(self, client, book: dict) -> bool:
        from realtime.channels import book_key

        for symbol in self.symbols:
            mine, raw = book.get(symbol), client.get(book_key(symbol))
            if mine is None or raw is None:
                return False
            published = json.loads(raw)
            if published["seq"] != mine["seq"] or any(
                    {Decimal(p): Decimal(q) for p, q in published[side]} !=
                    {Decimal(p): Decimal(q) for p, q in mine[side].items()} for side in ("bids", "asks")):
                return False
        return True
