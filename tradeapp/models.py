from django.db import models


class BenchmarkRow(models.Model):
    """The row the bare benchmark endpoint stores: the baseline of bench/orders_e2e.py.
    The endpoint exists only when BENCHMARK_ENDPOINTS=1."""

    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
