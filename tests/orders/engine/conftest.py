"""The engine is pure Python: its tests need no database, no Redis, no Django settings.

The project-wide autouse fixtures in tests/conftest.py reset the Redis client and the
Django cache; these same-named fixtures replace them for this directory only.
"""

import pytest


@pytest.fixture(autouse=True)
def _fresh_redis_client():
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    yield
