from django.db import models


class BenchmarkRow(models.Model):
    """The row the bare benchmark endpoint stores."""

    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
