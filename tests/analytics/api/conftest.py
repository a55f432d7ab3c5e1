from tests.orders.api.fixtures import _fresh_throttle_counters, aapl, alice, anon, bob, msft  # noqa: F401
