"""gunicorn settings for the venue's HTTP API and pages in production (docs/serving.md).

    gunicorn tradeapp.wsgi:application        # reads this file from the working directory

Daphne keeps the WebSockets (/ws/); a reverse proxy gives the browser one origin for both.
Every value can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
# Sync workers: Django's views are synchronous, and one request per process at a time is what
# they do best. Cores + 1: on 2 cores the order benchmark gave 3 and 4 workers the same rate within
# its noise and 2 workers a third less (docs/serving.md); more only add connections and switches.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
backlog = 2048
keepalive = 5  # behind the reverse proxy's keep-alive connections
timeout = 30
graceful_timeout = 20
# Persistent database connections: a sync worker serves one request at a time in one thread, so it
# can keep its connection (PostgreSQL forks a server process per new connection).
os.environ.setdefault("DB_CONN_MAX_AGE", "60")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
