"""`manage.py run_engine [--shard i/n]`: the engine worker of one shard, publishing through realtime."""

import re

import uvloop
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.redis import new_async_redis
from orders.worker.runner import EngineWorker
from realtime.publish.engine import EnginePublisher


class Command(BaseCommand):
    help = "Run the matching engine worker for one shard of the symbols (--shard i/n)."

    def add_arguments(self, parser):
        parser.add_argument("--shard", default=None, help="i/n: this worker owns the symbols of shard i of n (default 0/ENGINE_SHARDS)")

    def handle(self, *args, shard=None, **options):
        if shard is None:
            index, count = 0, settings.ENGINE_SHARDS
        else:
            match = re.fullmatch(r"(\d+)/(\d+)", shard)
            if not match or not 0 <= int(match[1]) < int(match[2]):
                raise CommandError("--shard must look like i/n with 0 <= i < n, e.g. 0/2")
            index, count = int(match[1]), int(match[2])
            if count != settings.ENGINE_SHARDS:
                raise CommandError(f"--shard {shard} needs ENGINE_SHARDS={count} (the order services route by it); it is {settings.ENGINE_SHARDS}.")
        worker = EngineWorker(shard=index, shards=count, publisher=EnginePublisher(new_async_redis()))
        uvloop.run(worker.run())
        if worker.lease_lost:  # another process owns the shard; the supervisor starts this one again (it waits)
            raise SystemExit(3)
