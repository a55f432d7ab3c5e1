from django.urls import path, re_path

from realtime.consumers import StreamConsumer, UnknownPathConsumer

websocket_urlpatterns = [
    path("ws/v1/", StreamConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
