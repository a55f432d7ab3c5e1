"""The engine worker: wraps the pure matching engine with the bus, the database and the
channel layer. `python manage.py run_engine [--shard i/n]` runs it."""
