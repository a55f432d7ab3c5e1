from tests.orders.api.fixtures import _fresh_throttle_counters, aapl  # noqa: F401
