"""Publication: what the engine and the feeds hand the WebSocket clients, through Redis
(realtime.channels, realtime.messages). The processes that produce it get these publishers
from their entry points (`manage.py run_engine`, `manage.py run_feed`)."""
