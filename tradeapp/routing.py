from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from marketdata.consumers import StreamConsumer


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path is refused at the handshake (HTTP 403), not a router error."""

    async def connect(self):
        await self.close()


websocket_urlpatterns = [
    path("ws/v1/", StreamConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
