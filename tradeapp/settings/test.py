"""Tests: the dev settings with fast password hashing and no throttling surprises."""

from .dev import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test builds its own instruments (and rolls them back): nothing may be kept across tests.
# tests/marketdata/test_instrument_cache.py turns the cache on for its own tests.
INSTRUMENT_CACHE_SECONDS = 0
