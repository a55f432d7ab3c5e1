"""The `trade_updates` stream at /stream, as alpaca-py's TradingStream speaks it:

    -> {"action": "authenticate", "data": {"key_id", "secret_key"}}
    <- {"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"|"unauthorized"}}
    -> {"action": "listen", "data": {"streams": ["trade_updates"]}}
    <- {"stream": "listening", "data": {"streams": ["trade_updates"]}}
    <- {"stream": "trade_updates", "data": {"event", "order", "timestamp", ...}}  (gateways.alpaca.trade_updates)

A bad frame gets `{"stream": "error", "data": {"error_message"}}` and the socket stays open; a
failed authentication is answered, then the socket is closed (4001)."""

import asyncio
import json
from collections import OrderedDict

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from common.errors import ServiceError
from common.jsontext import dumps, loads
from common.logging import get_logger
from gateways.alpaca.trade_updates import batch_of, filled_symbols, trade_update, trade_updates
from orders.selectors import position_qtys
from orders.services import account_for_user
from realtime.auth import RAW_SEND, client_address, socket_credentials
from realtime.hub import get_hub
from realtime.messages import OrderNotice, PrivateMessages
from realtime.protocol import MAX_FRAME_BYTES, CloseCode, RateLimiter

log = get_logger("gateways.alpaca")
STREAMS = ("trade_updates",)
CLOSED = ("filled", "canceled", "expired", "rejected")
MAX_REMEMBERED = 10_000  # closed order ids kept per socket, to drop a late notice


def _error(message: str) -> str:
    return dumps({"stream": "error", "data": {"error_message": message}})


def _authorization(status: str, action: str = "authenticate") -> str:
    return dumps({"stream": "authorization", "data": {"action": action, "status": status}})


def _account_id(user) -> int:
    return account_for_user(user=user).pk


def _held(account_id: int, symbols: set[str]):
    return position_qtys(account_id=account_id, symbols=symbols)


class TradeUpdatesConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = None

    async def connect(self):
        await self.accept()
        self.hub = get_hub()
        self.out = await self.hub.connect(self.scope.get(RAW_SEND, self.base_send), heartbeats=False)
        self.limiter = RateLimiter()
        self.user = None
        self.account_id = None
        self.listening = False
        self.updates: asyncio.Queue = asyncio.Queue()
        self.forwarder = None
        self.closed_orders: OrderedDict[int, None] = OrderedDict()

    async def disconnect(self, code):
        if getattr(self, "out", None) is None:
            return
        if self.listening:
            await self.hub.unlisten_account(self.on_updates, self.account_id)
        if self.forwarder is not None:
            self.forwarder.cancel()
        await self.hub.disconnect(self.out)

    async def receive(self, text_data=None, bytes_data=None):
        if self.out.close_code is not None:
            return
        if not self.limiter.allow():
            if self.limiter.refused == 1:
                self.out.push(_error("too many messages; slow down"))
            return
        raw = text_data if text_data is not None else bytes_data
        try:
            if raw is None or len(raw) > MAX_FRAME_BYTES:
                raise ValueError("frame too large")
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            self.out.push(_error("invalid syntax: send one JSON object per frame"))
            return
        action = message.get("action") if isinstance(message, dict) else None
        data = message.get("data") if isinstance(message, dict) else None
        if action not in ("authenticate", "auth", "listen") or not isinstance(data, dict):
            self.out.push(_error('expected {"action": "authenticate"|"listen", "data": {...}}'))
            return
        if action == "listen":
            await self.listen(data)
        else:
            await self.authenticate(data)

    async def authenticate(self, data: dict) -> None:
        if self.user is not None:
            self.out.push(_error("already authenticated"))
            return
        credentials = {"key_id": data.get("key_id"), "secret": data.get("secret_key")}
        try:
            found = await database_sync_to_async(socket_credentials)(credentials, address=client_address(self.scope))
        except ServiceError as error:  # locked out
            self.out.push(_error(error.detail))
            found = None
        if found is None:
            self.out.push(_authorization("unauthorized"))
            self.out.close(CloseCode.AUTH_FAILED)
            return
        self.user = found[0]
        self.account_id = await database_sync_to_async(_account_id)(self.user)
        self.out.push(_authorization("authorized"))

    async def listen(self, data: dict) -> None:
        if self.user is None:
            self.out.push(_authorization("unauthorized", "listen"))
            return
        streams = data.get("streams")
        if not isinstance(streams, list) or not all(isinstance(s, str) for s in streams):
            self.out.push(_error('"streams" must be a list of stream names'))
            return
        unknown = [s for s in streams if s not in STREAMS]
        if unknown:
            self.out.push(_error(f"unknown stream {unknown[0][:40]!r}; streams are {', '.join(STREAMS)}"))
            return
        wanted = "trade_updates" in streams
        if wanted and not self.listening:
            self.forwarder = self.forwarder or asyncio.get_running_loop().create_task(self._forward())
            await self.hub.listen_account(self.on_updates, self.account_id)
        elif not wanted and self.listening:
            await self.hub.unlisten_account(self.on_updates, self.account_id)
        self.listening = wanted
        self.out.push(dumps({"stream": "listening", "data": {"streams": ["trade_updates"] if wanted else []}}))

    def on_updates(self, message: PrivateMessages | OrderNotice) -> None:
        """Called by the hub for each of the account's batches of private messages (and each order
        notice), in order: never blocks. The order updates become trade_updates; the position pushes
        give their position_qty."""
        if isinstance(message, OrderNotice):
            self.updates.put_nowait(([{"event": message.event, "order": message.order}], None))
            return
        updates, held = batch_of([loads(text) for _, text in message.messages])
        if updates:
            self.updates.put_nowait((updates, held))

    async def _forward(self) -> None:
        """In arrival order: the positions the fills need (from the batch's position pushes; else one
        query), then the events. A notice (pending_cancel) about an order the engine already closed
        came late, from another process: it is dropped."""
        while True:
            updates, held = await self.updates.get()
            try:
                if held is None:
                    if updates[0]["order"]["id"] in self.closed_orders:
                        continue
                    texts = [trade_update(updates[0])]
                else:
                    missing = filled_symbols(updates) - held.keys()
                    if missing:
                        held = {**held, **await database_sync_to_async(_held)(self.account_id, missing)}
                    texts = trade_updates(updates, held=held)
                    self._remember_closed(updates)
                for text in texts:
                    if self.listening:
                        self.out.push(dumps(text))
            except Exception:
                log.exception("trade update not forwarded")

    def _remember_closed(self, updates: list[dict]) -> None:
        for update in updates:
            if update["order"]["status"] in CLOSED:
                self.closed_orders[update["order"]["id"]] = None
        while len(self.closed_orders) > MAX_REMEMBERED:
            self.closed_orders.popitem(last=False)
