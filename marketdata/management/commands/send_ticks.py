import json
import math
import random
import socket
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketdata.feeds.simulated import to_tick
from marketdata.feeds.ticks import MalformedTick, make_tick, tick_to_mapping
from marketdata.models import Instrument

TICK = Decimal("0.01")


class Command(BaseCommand):
    help = ("Send ticks as UDP datagrams to the udp feed of run_feed. SYMBOL=PRICE pairs are sent as given; "
            "with --count they random-walk from there. Without pairs, every instrument walks from its reference price.")

    def add_arguments(self, parser):
        parser.add_argument("pairs", nargs="*", metavar="SYMBOL=PRICE")
        parser.add_argument("--host", default=None, help="default: settings.FEED_UDP host")
        parser.add_argument("--port", type=int, default=None, help="default: settings.FEED_UDP port")
        parser.add_argument("--count", type=int, default=1, help="rounds to send (one datagram per round)")
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between rounds")
        parser.add_argument("--volatility-bps", type=float, default=5.0, help="random-walk step, in basis points")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, pairs, host, port, count, interval, volatility_bps, seed, **options):
        if count < 1 or interval < 0:
            raise CommandError("--count must be >= 1 and --interval >= 0")
        start = self._pairs(pairs) if pairs else self._instruments()
        if not start:
            raise CommandError("No symbols: give SYMBOL=PRICE pairs or create instruments first.")
        address = (host or settings.FEED_UDP["host"], port or settings.FEED_UDP["port"])
        rng = random.Random(seed)
        logs = {symbol: math.log(price) for symbol, (price, _) in start.items()}
        sent = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for round_ in range(count):
                now = datetime.now(UTC)
                ticks = []
                for symbol, (price, tick_size) in start.items():
                    if round_:
                        logs[symbol] += volatility_bps / 10_000 * rng.gauss(0.0, 1.0)
                        price = to_tick(math.exp(logs[symbol]), tick_size)
                    ticks.append(tick_to_mapping(make_tick(source="send_ticks", symbol=symbol, price=price, ts=now)))
                sock.sendto(json.dumps(ticks).encode(), address)
                sent += len(ticks)
                if round_ + 1 < count:
                    time.sleep(interval)
        self.stdout.write(f"Sent {sent} ticks in {count} datagram(s) to {address[0]}:{address[1]}.")

    @staticmethod
    def _pairs(pairs: list[str]) -> dict[str, tuple[Decimal, Decimal]]:
        parsed = {}
        ticks = dict(Instrument.objects.values_list("symbol", "tick_size"))
        for pair in pairs:
            symbol, _, price = pair.partition("=")
            try:
                tick = make_tick(source="send_ticks", symbol=symbol, price=price)
            except (MalformedTick, InvalidOperation) as error:
                raise CommandError(f"{pair!r}: {error} (expected SYMBOL=PRICE, e.g. AAPL=190.25)") from None
            parsed[tick.symbol] = (tick.price, ticks.get(tick.symbol, TICK))
        return parsed

    @staticmethod
    def _instruments() -> dict[str, tuple[Decimal, Decimal]]:
        return {i.symbol: (i.reference_price or i.last_price or Decimal("100"), i.tick_size)
                for i in Instrument.objects.order_by("symbol")}
