"""Settings shared by every environment.

This module is the one place that reads the environment. `dev` and `production`
only adjust what they must.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("TRADEAPP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Environment ----------------------------------------------------------
SECRET_KEY = os.environ.get("SECRET_KEY") or None  # dev fills it in; production requires it
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = os.environ.get("REDIS_URL") or f"unix://{EMBEDDED_REDIS_SOCKET}"
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when set; unset, it is open in
# development and closed (403) in production (METRICS_REQUIRE_TOKEN).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_REQUIRE_TOKEN = False
LOG_JSON = env_bool("LOG_JSON", True)
# Every process records its metrics into files here (prometheus_client's multiprocess mode, which
# reads the variable when it is first imported, after the settings); /metrics sums them.
METRICS_DIR = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics")))
METRICS_DIR.mkdir(parents=True, exist_ok=True)

# --- Core -------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "tradeapp",
    "marketdata",
    "orders",
    "bots",
    "gateways.fix",
    "analytics",
]

MIDDLEWARE = [
    "tradeapp.middleware.RequestMetricsMiddleware",
    "tradeapp.middleware.OutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Content-Security-Policy of every page: scripts, styles, fonts and images from the venue itself,
# connections to itself (REST and its WebSocket), no framing, no plugins, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # and the one <style> block lightweight-charts adds for its attribution logo (by its hash)
        "style-src": ["'self'", "'sha256-3pRED1tOXas1FXFoPb9TGCjmYe9XQsmO9OV23khV2nY='"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],  # CSP 3: the page's own origin over ws: and wss: too
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

ROOT_URLCONF = "tradeapp.urls"
WSGI_APPLICATION = "tradeapp.wsgi.application"
ASGI_APPLICATION = "tradeapp.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


# --- Database ---------------------------------------------------------------
# Seconds a web process keeps its database connection between requests (0: one per request).
# Set for the WSGI server (tradeapp/http_server.py sets 60): PostgreSQL forks a backend for every new
# connection, which halved the request rate. Leave 0 under ASGI (Daphne), where Django opens the
# connection in a per-request thread and so could never reuse it.
DB_CONN_MAX_AGE = int(os.environ.get("DB_CONN_MAX_AGE", "0"))


def database_config(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=DB_CONN_MAX_AGE > 0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the engine's writes; IMMEDIATE takes the write
        # lock at BEGIN so concurrent writers queue on the busy timeout instead of
        # failing with "database is locked" on upgrade.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # A file, not :memory:, so the engine and Celery processes that tests start see
        # the same test database; one per test run, so two runs never share it.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    else:
        config["TEST"] = {"NAME": f"test_{config['NAME']}_{os.getpid()}"}
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a liveness check of kept connections that needs no round trip.
        config["ENGINE"] = "common.db.postgresql"
    return config


DATABASES = {"default": database_config(DATABASE_URL)}


# --- Redis: channel layer, engine bus, Celery broker -------------------------
def celery_redis_url(url: str) -> str:
    """Kombu spells a unix socket `redis+socket://`; redis-py spells it `unix://`."""
    if url.startswith("unix://"):
        return "redis+socket://" + url[len("unix://") :]
    return url


# Shared by every process, so throttling counts per user across all web workers.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cache",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30},
    }
}

CELERY_BROKER_URL = celery_redis_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_redis_url(REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- REST -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [  # orders/api/authentication.py
        "orders.api.authentication.CachedTokenAuthentication",  # first: a 401 says WWW-Authenticate: Token
        "orders.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "orders.api.authentication.TradeScope"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["orders.api.parsers.StrictJSONParser"],
    "COERCE_DECIMAL_TO_STRING": True,
    # Non-ASCII is escaped (\uXXXX): the answer is valid UTF-8 whatever text a client sent.
    "UNICODE_JSON": False,
    "EXCEPTION_HANDLER": "orders.api.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "orders.api.pagination.ApiPagination",
    "PAGE_SIZE": 100,
    # Per user (per address when anonymous) at API_THROTTLE_RATE; 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["orders.api.throttling.ApiRateThrottle"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tradeapp API",
    "DESCRIPTION": "Orders, accounts and market data of the venue. See API.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package (static files), not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging: structured, one JSON object per line ---------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {"()": "common.logging.StructuredFormatter", "json": LOG_JSON},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
    },
}

# --- Venue ------------------------------------------------------------------
ENGINE_SHARDS = int(os.environ.get("ENGINE_SHARDS", "1"))
# When a read of the bus brings only a few commands, the engine waits this long once for more:
# each batch's transaction costs a fixed ~4 ms of CPU (a dozen statements), so batching more
# orders per transaction frees CPU for everything else on the machine. 0: no wait.
ENGINE_LINGER_MS = float(os.environ.get("ENGINE_LINGER_MS", "3"))
# Admission control (orders/services/admission.py): while an engine shard's oldest waiting command
# is older than this, new orders for its symbols get 429 engine_busy. 0 turns it off.
ENGINE_MAX_LAG_MS = float(os.environ.get("ENGINE_MAX_LAG_MS", "1000"))
ADMISSION_CHECK_SECONDS = 0.1  # how often a web process reads each shard's lag
# The engine appends each committed batch to a Redis Stream, the input of `run_analytics`
# (docs/analytics.md); trimmed to about this many entries (about an hour at 30 batches/s).
ENGINE_STREAM = env_bool("ENGINE_STREAM", True)
ENGINE_STREAM_MAXLEN = int(os.environ.get("ENGINE_STREAM_MAXLEN", "100000"))
# Ops alerts `run_analytics` raises (docs/analytics.md): a batch's engine lag over this many ms, a
# symbol's reference price older than this many seconds. 0 turns a check off.
OPS_ENGINE_LAG_MS = float(os.environ.get("OPS_ENGINE_LAG_MS", "2000"))
OPS_FEED_STALE_SECONDS = float(os.environ.get("OPS_FEED_STALE_SECONDS", "60"))
# Alert emails: Django's email backend (EMAIL_BACKEND, EMAIL_HOST...); the console one in development.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "alerts@venue.local")
# A market buy reserves cash at the reference price plus this fraction, and never trades above it.
MARKET_ORDER_COLLAR = os.environ.get("MARKET_ORDER_COLLAR", "0.05")
# Private stream messages (seq, resume, orders/updates/) are kept this many days (orders/private/).
PRIVATE_EVENTS_RETENTION_DAYS = float(os.environ.get("PRIVATE_EVENTS_RETENTION_DAYS", "7"))
# DAY orders expire at this UTC time (HH:MM) each day.
SESSION_CLOSE_UTC = os.environ.get("SESSION_CLOSE_UTC", "21:00")
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "6000/min")
# Failed logins, token and API key attempts: past these within the window, the account or the address
# is locked out until the window ends (orders/services/auth_attempts.py).
AUTH_FAILURES_PER_ACCOUNT = int(os.environ.get("AUTH_FAILURES_PER_ACCOUNT", "10"))
AUTH_FAILURES_PER_ADDRESS = int(os.environ.get("AUTH_FAILURES_PER_ADDRESS", "50"))
AUTH_FAILURE_WINDOW_SECONDS = int(os.environ.get("AUTH_FAILURE_WINDOW_SECONDS", "900"))
# Each web process reads an instrument (status, grid, limits, reference price) at most once per this
# many seconds on the order path; 0 reads it for every order.
INSTRUMENT_CACHE_SECONDS = float(os.environ.get("INSTRUMENT_CACHE_SECONDS", "1"))
# An account's risk limits (and today's P&L for its daily loss limit) are read at most once per this
# many seconds per process on the order path (orders/services/risk_limits.py, docs/risk.md).
RISK_LIMITS_CACHE_SECONDS = float(os.environ.get("RISK_LIMITS_CACHE_SECONDS", "1"))
# The analytics process's risk monitor: a daily loss pass over the accounts holding a symbol that
# traded, at most every this many seconds, and over every watched account every FULL seconds.
RISK_MONITOR_INTERVAL = float(os.environ.get("RISK_MONITOR_INTERVAL", "0.5"))
RISK_MONITOR_FULL_SECONDS = float(os.environ.get("RISK_MONITOR_FULL_SECONDS", "5"))
BENCHMARK_ENDPOINTS = env_bool("BENCHMARK_ENDPOINTS", False)
INSTALLED_APPS += ["ui"]  # the browser UI (templates/ui/, static/js/)
INSTALLED_APPS += ["reports"]  # statements, exports and the venue report (docs/reports.md)
if BENCHMARK_ENDPOINTS:  # bench/orders_e2e.py's baseline endpoint and its table
    INSTALLED_APPS += ["bench.endpoint"]

# --- Feeds and bots -----------------------------------------------------------
# `run_feed` runs these feeds (simulated, replay, udp, alpaca); its options override the blocks below.
FEEDS = env_list("FEEDS", ["simulated"])
FEED_SIMULATED = {
    "interval": float(os.environ.get("FEED_SIMULATED_INTERVAL", "1.0")),  # seconds between steps
    "volatility_bps": float(os.environ.get("FEED_SIMULATED_VOLATILITY_BPS", "5")),  # one step's standard deviation
    "reversion": 0.002,  # pull per step back toward the starting price
}
FEED_REPLAY = {
    "path": os.environ.get("FEED_REPLAY_FILE", str(BASE_DIR / "marketdata" / "data" / "sample_ticks.csv")),
    "speed": float(os.environ.get("FEED_REPLAY_SPEED", "1.0")),
    "loop": env_bool("FEED_REPLAY_LOOP", True),
}
FEED_UDP = {"host": os.environ.get("FEED_UDP_HOST", "127.0.0.1"), "port": int(os.environ.get("FEED_UDP_PORT", "9870"))}
FEED_ALPACA = {
    "url": os.environ.get("ALPACA_STREAM_URL", "wss://stream.data.alpaca.markets/v2/iex"),
    "key": os.environ.get("APCA_API_KEY_ID", ""),
    "secret": os.environ.get("APCA_API_SECRET_KEY", ""),
    "symbols": env_list("ALPACA_SYMBOLS", []),  # empty: every instrument
}
FEED_BACKOFF = {"initial": float(os.environ.get("FEED_BACKOFF_INITIAL", "0.5")),
                "maximum": float(os.environ.get("FEED_BACKOFF_MAX", "30"))}
REFERENCE_PUBLISH_INTERVAL = 0.2  # seconds: Redis and channel-layer updates, latest price per symbol
REFERENCE_DB_INTERVAL = 1.0  # seconds: at most this often per symbol into Instrument.reference_price
# `run_bots` creates these bots in the database the first time it sees each name; from then on
# ops edit them in the admin (Bots > Bot configs), and running bots pick up changes within
# BOTS_RELOAD_INTERVAL seconds. Decimals as strings; symbols "" means every instrument.
BOTS = [
    {"name": "mm", "kind": "market_maker", "username": "bot-mm", "symbols": "", "interval_seconds": "1.0",
     "spread_bps": "10", "levels": 2, "level_spacing_bps": "10", "order_qty": "100", "max_inventory": "2000",
     "skew_bps": "10", "requote_ticks": 1},
    {"name": "noise", "kind": "taker", "username": "bot-taker", "symbols": "", "interval_seconds": "3.0",
     "order_qty": "20", "max_inventory": "500"},
]
BOTS_RELOAD_INTERVAL = float(os.environ.get("BOTS_RELOAD_INTERVAL", "5"))

# --- FIX gateway ---------------------------------------------------------------
# `run_fix` (gateways/fix, docs/fix.md): where it listens, our CompID, the HeartBtInt range a
# Logon may ask for, and how many messages per second one session may send before its
# application messages are refused (BusinessMessageReject).
FIX_HOST = os.environ.get("FIX_HOST", "127.0.0.1")
FIX_PORT = int(os.environ.get("FIX_PORT", "9878"))
FIX_COMP_ID = os.environ.get("FIX_COMP_ID", "VENUE")
FIX_HEARTBEAT_RANGE = (1, 300)
FIX_MAX_MESSAGES_PER_SECOND = int(os.environ.get("FIX_MAX_MESSAGES_PER_SECOND", "2000"))

# --- Real time ----------------------------------------------------------------
# WebSocket API (docs/realtime.md): heartbeat period, and the most messages a socket may have
# waiting to be written before its book deltas turn into a resync and then the socket is closed.
WS_HEARTBEAT_SECONDS = float(os.environ.get("WS_HEARTBEAT_SECONDS", "15"))
WS_MAX_QUEUE = int(os.environ.get("WS_MAX_QUEUE", "500"))
# Order entry on the WebSocket: the database threads of each web process that carry it out, each
# with its connection kept open (realtime/entry/session.py). SQLite writes one at a time: one.
WS_ENTRY_DB_THREADS = int(os.environ.get("WS_ENTRY_DB_THREADS",
                                         "1" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "2"))
# redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis's 5 s
# BZPOPMIN: an idle receive then fails with TimeoutError at the instant the server may pop a
# message (which is then lost). Give the layer's connections a read timeout above the BZPOPMIN's.
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [{"address": REDIS_URL, "socket_timeout": 30, "socket_connect_timeout": 5}]
