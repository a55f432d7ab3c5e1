from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path, re_path

from marketdata.consumers import StreamConsumer


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path is refused at the handshake (HTTP 403) instead of raising in the
    router, and the consumer ends at once rather than waiting for the client's disconnect."""

    async def connect(self):
        await self.close()
        raise StopConsumer


websocket_urlpatterns = [
    path("ws/v1/", StreamConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
