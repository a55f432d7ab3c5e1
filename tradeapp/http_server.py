"""The production HTTP server for the API, pages and admin (docs/serving.md): granian's Rust HTTP
front with Django in one thread per worker process. Daphne keeps the WebSockets (/ws/); a reverse
proxy gives the browser one origin for both.

    python -m tradeapp.http_server            # WEB_CONCURRENCY workers on HTTP_BIND

Chosen by `bench/orders_e2e.py` over gunicorn's sync workers (the same single-order work for about
0.3 ms less CPU per request: HTTP parsing in Rust, not Python) and over ASGI servers (Django runs
sync views one at a time per ASGI process).
"""

import os
import sys
from pathlib import Path


def http_server_argv(*, bind: str, workers: int) -> list[str]:
    host, _, port = bind.rpartition(":")
    return [
        str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--host", host, "--port", port,
        # One request at a time per process, as Django's sync views want; cores + 1 processes keep
        # the cores busy while some wait on the database (3 on the 2-core machine measured).
        "--workers", str(workers), "--blocking-threads", "1", "--runtime-threads", "1",
        "--no-ws", "--respawn-failed-workers", "--workers-kill-timeout", "20",
        "--log-level", os.environ.get("LOG_LEVEL", "info").lower(),
        "tradeapp.wsgi:application",
    ]


def main() -> None:
    # Persistent database connections: each process serves one request at a time in one thread,
    # so it can keep its connection (PostgreSQL forks a server process per new connection).
    os.environ.setdefault("DB_CONN_MAX_AGE", "60")
    argv = http_server_argv(bind=os.environ.get("HTTP_BIND", "127.0.0.1:8001"),
                            workers=int(os.environ.get("WEB_CONCURRENCY", "3")))
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
