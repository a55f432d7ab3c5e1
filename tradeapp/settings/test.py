"""Tests: the dev settings with fast password hashing and no throttling surprises."""

import atexit
import os
import shutil

from .dev import *  # noqa: F403
from .dev import VAR_DIR

# One metrics directory per test run, shared with the processes the tests start (they inherit it).
if not os.environ.get("TRADEAPP_TEST_METRICS"):
    METRICS_DIR = VAR_DIR / f"metrics-test-{os.getpid()}"
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.update(PROMETHEUS_MULTIPROC_DIR=str(METRICS_DIR), TRADEAPP_TEST_METRICS="1")
    atexit.register(shutil.rmtree, METRICS_DIR, ignore_errors=True)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test builds its own instruments (and rolls them back): nothing may be kept across tests.
# tests/marketdata/test_instrument_cache.py turns the cache on for its own tests.
INSTRUMENT_CACHE_SECONDS = 0
RISK_LIMITS_CACHE_SECONDS = 0

# Tests place orders with no engine running (their commands stay in the streams): admission control
# is off, and on in the tests of it.
ENGINE_MAX_LAG_MS = 0
