"""The benchmark's bare endpoint moved to its own app (bench.endpoint), installed only for
benchmark runs. Its table here held nothing but rows the benchmark wrote and never read."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("tradeapp", "0001_initial")]

    operations = [migrations.DeleteModel(name="BenchmarkRow")]
