"""ASGI entry point: Django for HTTP, Channels for the WebSocket API at /ws/v1/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeapp.settings.dev")
# Django must be set up before anything imports models (consumers, auth middleware).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.auth import AllowedHostsBrowserOriginValidator, TokenQueryAuthMiddleware  # noqa: E402
from tradeapp.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Session cookie first, then `?token=` over it; the consumer takes a first `auth` message.
        "websocket": AllowedHostsBrowserOriginValidator(
            AuthMiddlewareStack(TokenQueryAuthMiddleware(URLRouter(websocket_urlpatterns)))),
    }
)
