import uvloop
from django.conf import settings
from django.core.management.base import BaseCommand

from gateways.fix.gateway import Gateway


class Command(BaseCommand):
    help = "Run the FIX 4.4 gateway (docs/fix.md): order entry, drop copy and market data sessions on FIX_PORT."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="address to listen on (default: settings.FIX_HOST)")
        parser.add_argument("--port", type=int, default=None, help="port (default: settings.FIX_PORT, 9878)")

    def handle(self, *args, host=None, port=None, **options):
        gateway = Gateway(host=host or settings.FIX_HOST, port=port or settings.FIX_PORT, comp_id=settings.FIX_COMP_ID)
        uvloop.run(gateway.run())
