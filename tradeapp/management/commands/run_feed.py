import uvloop
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketdata.feeds.runner import KINDS, FeedProcess
from realtime.publish.reference import reference_publish


class Command(BaseCommand):
    help = ("Run market data feeds (simulated, replay, udp, alpaca) and keep each instrument's reference price "
            "current in Redis and the database, and tell the WebSocket clients. Defaults come from settings (FEEDS, FEED_*).")

    def add_arguments(self, parser):
        parser.add_argument("--feed", action="append", choices=KINDS, dest="feeds",
                            help="a feed to run (repeat for several); default: settings.FEEDS")
        sim = parser.add_argument_group("simulated")
        sim.add_argument("--interval", type=float, help="seconds between random-walk steps")
        sim.add_argument("--volatility-bps", type=float, help="standard deviation of one step, in basis points")
        sim.add_argument("--seed", type=int, help="random seed, for a repeatable walk")
        replay = parser.add_argument_group("replay")
        replay.add_argument("--file", help="CSV file of ticks (default: marketdata/data/sample_ticks.csv)")
        replay.add_argument("--speed", type=float, help="playback speed: 1 as recorded, 10 ten times faster, 0 flat out")
        replay.add_argument("--no-loop", action="store_true", help="stop at the end of the file instead of starting over")
        udp = parser.add_argument_group("udp")
        udp.add_argument("--udp-host", help="address to bind")
        udp.add_argument("--udp-port", type=int, help="port to bind")
        alpaca = parser.add_argument_group("alpaca")
        alpaca.add_argument("--alpaca-url", help="WebSocket URL of the quotes stream")
        alpaca.add_argument("--symbols", help="comma-separated symbols to subscribe to (default: every instrument)")

    def handle(self, *args, feeds=None, **options):
        kinds = feeds or settings.FEEDS
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise CommandError(f"unknown feed(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}")
        if options["speed"] is not None and options["speed"] < 0:
            raise CommandError("--speed must be >= 0")
        picked = {
            "simulated": {"interval": options["interval"], "volatility_bps": options["volatility_bps"],
                          "seed": options["seed"]},
            "replay": {"path": options["file"], "speed": options["speed"],
                       "loop": False if options["no_loop"] else None},
            "udp": {"host": options["udp_host"], "port": options["udp_port"]},
            "alpaca": {"url": options["alpaca_url"],
                       "symbols": [s.strip().upper() for s in options["symbols"].split(",") if s.strip()]
                       if options["symbols"] else None},
        }
        overrides = {kind: {k: v for k, v in values.items() if v is not None} for kind, values in picked.items()}
        uvloop.run(FeedProcess(kinds, overrides, publish=reference_publish).run())
