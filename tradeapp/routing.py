from django.urls import path, re_path

from gateways.alpaca.streams.market_data import MarketDataConsumer
from gateways.alpaca.streams.trading import TradeUpdatesConsumer
from realtime.consumers import StreamConsumer, UnknownPathConsumer

websocket_urlpatterns = [
    path("ws/v1/", StreamConsumer.as_asgi()),
    # The Alpaca-compatible streams (docs/alpaca.md).
    path("stream", TradeUpdatesConsumer.as_asgi()),
    path("v2/iex", MarketDataConsumer.as_asgi()),
    path("v2/sip", MarketDataConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
