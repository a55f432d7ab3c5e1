import uvloop
from django.core.management.base import BaseCommand

from bots.runner import BotRunner


class Command(BaseCommand):
    help = ("Run the trading bots configured in the admin (Bots > Bot configs; defaults from settings.BOTS): "
            "market makers quoting around the reference price and noise takers, through the order services.")

    def add_arguments(self, parser):
        parser.add_argument("--reload-interval", type=float, default=None,
                            help="seconds between re-reads of the bot configs (default: settings.BOTS_RELOAD_INTERVAL)")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable bots")

    def handle(self, *args, reload_interval=None, seed=None, **options):
        uvloop.run(BotRunner(reload_interval=reload_interval, seed=seed).run())
