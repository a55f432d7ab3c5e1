"""The bare endpoint `bench/orders_e2e.py` measures the order endpoint against: an authenticated
DRF view that stores one row. Installed (and mounted at /bench/bare/) only when
BENCHMARK_ENDPOINTS=1, so it exists in no venue database otherwise."""
