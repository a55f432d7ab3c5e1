from django.apps import AppConfig


class BenchEndpointConfig(AppConfig):
    name = "bench.endpoint"
    label = "bench_endpoint"
    verbose_name = "Benchmark endpoint"
    default_auto_field = "django.db.models.BigAutoField"
