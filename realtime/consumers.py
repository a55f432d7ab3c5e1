"""The WebSocket API at /ws/v1/ (see API.md and docs/realtime.md). The consumer parses frames,
authenticates and authorizes; the process's hub (realtime/hub/) does the fan-out, and every
frame to the client goes through the socket's bounded outbound buffer."""

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from common.errors import ServiceError
from common.jsontext import dumps
from orders.services import account_for_user
from realtime.auth import RAW_SEND, client_address, socket_credentials
from realtime.entry import ENTRY_ACTIONS, OrderEntry
from realtime.hub import get_hub
from realtime.protocol import (
    FLOOD_REFUSALS,
    CloseCode,
    ProtocolError,
    RateLimiter,
    error_text,
    parse_frame,
    parse_since,
    parse_subscription,
)

PONG = dumps({"type": "pong"})


def _account_id(user) -> int:
    return account_for_user(user=user).pk


class StreamConsumer(AsyncWebsocketConsumer):
    # No channel per socket: the hub holds this process's one channel for every socket.
    channel_layer_alias = None

    async def connect(self):
        await self.accept()
        self.hub = get_hub()
        # Frames after the accept need nothing of the session middleware: write them unwrapped.
        self.out = await self.hub.connect(self.scope.get(RAW_SEND, self.base_send))
        self.limiter = RateLimiter()
        self.entry = OrderEntry(self.out)  # place, cancel, replace, cancel_all: their own queue and limit
        user = self.scope.get("user")
        self.user = user if user is not None and user.is_authenticated else None
        self.can_trade = self.user is not None  # a session or token may trade; an API key per its scope
        self.account_id = None
        if self.scope.get("auth_error"):
            self.out.push(error_text("auth_failed", "The token in the URL is not valid."))
            self.out.close(CloseCode.AUTH_FAILED)

    async def disconnect(self, code):
        out = getattr(self, "out", None)
        if out is not None:
            await self.entry.close()
            await self.hub.disconnect(out)

    async def receive(self, text_data=None, bytes_data=None):
        if self.out.close_code is not None:
            return
        try:
            message = parse_frame(text_data)
        except ProtocolError as error:
            message, bad = None, error
        if message is not None and message["action"] in ENTRY_ACTIONS:
            self.entry.submit(message, user=self.user, can_trade=self.can_trade)
            return
        if not self.limiter.allow():
            if self.limiter.refused == 1:
                self.out.push(error_text("rate_limited", "Too many messages; slow down."))
            elif self.limiter.refused > FLOOD_REFUSALS:
                self.out.close(CloseCode.FLOOD)
            return
        try:
            if message is None:
                raise bad
            handler = self.actions.get(message["action"])
            if handler is None:
                raise ProtocolError("unknown_action", f"Unknown action {message['action'][:40]!r}.")
            await handler(self, message)
        except ProtocolError as error:
            self.out.push(error_text(error.code, error.message))

    async def action_ping(self, message: dict) -> None:
        self.out.push(PONG)

    async def action_auth(self, message: dict) -> None:
        if self.user is not None:
            raise ProtocolError("already_authenticated", "This socket is already authenticated.")
        try:
            found = await database_sync_to_async(socket_credentials)(message, address=client_address(self.scope))
        except ServiceError as error:  # locked out after too many failed attempts
            raise ProtocolError(error.code, error.detail) from None
        if found is None:
            raise ProtocolError("auth_failed", "The credentials are not valid.")
        self.user, self.can_trade = found
        self.out.push(dumps({"type": "authenticated", "username": self.user.get_username()}))

    async def action_subscribe(self, message: dict) -> None:
        channels, symbols = parse_subscription(message)
        since = parse_since(message, channels)
        if "orders" in channels:
            if self.user is None:
                raise ProtocolError("auth_required", "The orders channel needs an authenticated socket.")
            if self.account_id is None:
                self.account_id = await database_sync_to_async(_account_id)(self.user)
        await self.hub.subscribe(self.out, channels, symbols, account_id=self.account_id, since=since)

    async def action_unsubscribe(self, message: dict) -> None:
        channels, symbols = parse_subscription(message)
        await self.hub.unsubscribe(self.out, channels, symbols)

    actions = {"ping": action_ping, "auth": action_auth, "subscribe": action_subscribe,
               "unsubscribe": action_unsubscribe}


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path is refused at the handshake (HTTP 403) instead of raising in the
    router, and the consumer ends at once rather than waiting for the client's disconnect."""

    async def connect(self):
        await self.close()
        raise StopConsumer
