"""The gateway process: the TCP server, the sessions it holds, its one database thread and its one
Redis pub/sub connection (accounts' order updates, symbols' market data)."""

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.db import close_old_connections, connection
from django.db.utils import DatabaseError

from common.errors import ServiceError
from common.logging import get_logger
from common.redis import new_async_redis
from gateways.fix.connection import Connection
from gateways.fix.marketdata import MarketDataFeed
from gateways.fix.orders import OrderEntry, reports_of_updates
from gateways.fix.selectors import fix_cl_ord_ids_open, fix_sessions_enabled
from gateways.fix.services import fix_session_private_start, fix_sessions_all_disconnected
from gateways.fix.session import SessionState
from orders.private import PrivateMessage, private_events_after, private_seq
from realtime.channels import account_channel, hub_control_channel, symbol_channel
from realtime.messages import MalformedMessage, MarketData, PrivateMessages, decode

log = get_logger("gateways.fix")


def _db_call(fn, kwargs):
    try:
        return fn(**kwargs)
    except DatabaseError:
        connection.close()  # the next call starts on a fresh connection
        raise


class Drop:
    """Drop copy sessions take no application message."""

    async def handle(self, state, batch) -> None:  # pragma: no cover - HANDLED_APPLICATION lets none through
        pass


class Gateway:
    def __init__(self, *, host: str, port: int, comp_id: str):
        self.host, self.port, self.comp_id = host, port, comp_id
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fix-db")
        self.states: dict[int, SessionState] = {}
        self.by_account: dict[int, set[SessionState]] = {}
        self.marketdata = MarketDataFeed(self)
        self.handlers = {"order_entry": OrderEntry(self), "drop_copy": Drop(), "market_data": self.marketdata}
        self.redis = None
        self._pubsub = None
        self._channels: set[str] = set()
        self._server = None
        self._connections: set[asyncio.Task] = set()

    async def db(self, fn, /, **kwargs):
        """Run a sync function of the database on the gateway's database thread."""
        return await asyncio.get_running_loop().run_in_executor(self._db, partial(_db_call, fn, kwargs))

    # --- life ------------------------------------------------------------------------
    async def start(self) -> None:
        await self.db(close_old_connections)
        await self.db(fix_sessions_all_disconnected)
        self.redis = new_async_redis()
        self._pubsub = self.redis.pubsub()
        await self._pubsub.subscribe(hub_control_channel())
        for row in await self.db(fix_sessions_enabled):
            await self.state_for(row)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._server = await asyncio.start_server(self._accept, self.host, self.port, limit=1 << 20)
        log.info("FIX gateway listening", host=self.host, port=self.port, sessions=len(self.states))

    async def run(self) -> None:
        await self.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await self.stop()

    async def stop(self) -> None:
        self._server.close()
        for state in self.states.values():
            if state.live:
                state.conn.reason = "gateway shutting down"
                state.send("5", [(58, "gateway shutting down")])
                state.conn.close_when_flushed = True
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        for state in self.states.values():
            try:
                await asyncio.wait_for(state.settled(), 5)
            except TimeoutError:
                log.warning("FIX session not stored at exit", session=state.comp_id)
        self._reader.cancel()
        await self._pubsub.aclose()
        await self.redis.aclose()
        self._db.shutdown(wait=True)
        log.info("FIX gateway stopped")

    async def _accept(self, reader, writer) -> None:
        task = asyncio.current_task()
        self._connections.add(task)
        try:
            await Connection(self, reader, writer).run()
        finally:
            self._connections.discard(task)

    # --- sessions ----------------------------------------------------------------------
    async def state_for(self, row) -> SessionState:
        """The session as the gateway holds it (created on its first Logon or at start), with its
        account's order updates subscribed for order entry and drop copy."""
        state = self.states.get(row.pk)
        if state is not None and state.account_id == row.account_id and state.kind == row.kind:
            return state
        if state is not None:
            self.by_account.get(state.account_id, set()).discard(state)
        state = self.states[row.pk] = SessionState(self, row)
        if state.kind == "order_entry":
            state.orders = {order_id: ids[-1] for order_id, ids in (await self.db(fix_cl_ord_ids_open, session_id=row.pk)).items()}
        if state.kind in ("order_entry", "drop_copy"):
            await self._subscribe(account_channel(state.account_id))
            state.received_seq = state.private_seq = await self.db(fix_session_private_start, session_id=row.pk)
            self.by_account.setdefault(state.account_id, set()).add(state)
            await self._catch_up(state)  # what the account did since: the gateway may have been down
        return state

    async def on_logon(self, state) -> None:
        pass

    def on_disconnect(self, state) -> None:
        self.marketdata.drop(state)

    def release(self, state, key: tuple) -> None:
        """A request is answered: its order's updates may go, with those that waited behind them."""
        count = state.holding.get(key, 0) - 1
        if count > 0:
            state.holding[key] = count
        else:
            state.holding.pop(key, None)
        if not state.holding:
            deferred, state.deferred = state.deferred, []
            for updates in deferred:
                self._report(state, updates)

    # --- what the engine publishes -------------------------------------------------------
    async def subscribe_symbol(self, symbol: str) -> None:
        await self._subscribe(symbol_channel(symbol))

    async def _subscribe(self, channel: str) -> None:
        if channel not in self._channels:
            self._channels.add(channel)
            await self._pubsub.subscribe(channel)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("pub/sub read failed; reconnecting", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                decoded = decode(message["data"])
            except MalformedMessage:
                continue
            try:
                if isinstance(decoded, PrivateMessages):
                    self.on_private(decoded.account_id, decoded.messages)
                elif isinstance(decoded, MarketData):
                    self.marketdata.on_market_data(decoded)
            except Exception:
                log.exception("FIX gateway could not handle a publication")

    def on_private(self, account_id: int, messages: list[tuple[int, str]]) -> None:
        for state in list(self.by_account.get(account_id, ())):
            if state.catching_up:
                state.private_buffer.append(messages)
                continue
            fresh = [(seq, text) for seq, text in messages if seq > state.received_seq]
            if fresh and fresh[0][0] != state.received_seq + 1:
                # A publication lost, or two shards' in the other order: read what is missing.
                state.private_buffer.append(fresh)
                asyncio.get_running_loop().create_task(self._catch_up(state))
            elif fresh:
                self._take(state, fresh)

    def _take(self, state, messages: list[tuple[int, str]]) -> None:
        """Consecutive private messages after `state.received_seq`: reported now, or deferred behind
        a request in flight."""
        state.received_seq = messages[-1][0]
        updates = []
        for seq, text in messages:
            message = PrivateMessage.decode(state.account_id, text)
            if message.type == "order_update":
                updates.append((seq, message.body))
        updates.append((state.received_seq, None))  # where the stream is once these are reported
        if state.holds(updates[:-1]):
            state.deferred.append(updates)
        else:
            self._report(state, updates)

    async def _catch_up(self, state) -> None:
        """Read the account's private messages after `received_seq` from the database, then those
        that arrived meanwhile."""
        if state.catching_up:
            return
        state.catching_up = True
        try:
            while True:
                try:
                    events = await self.db(private_events_after, account_id=state.account_id, since=state.received_seq)
                except ServiceError as error:
                    last = await self.db(private_seq, account_id=state.account_id)
                    log.warning("FIX session's private stream not kept; reports skipped", session=state.comp_id,
                                since=state.received_seq, last=last, code=error.code)
                    state.received_seq = state.private_seq = last
                    state.inbound_advanced()
                    break
                if events.texts:
                    self._take(state, list(enumerate(events.texts, start=events.since + 1)))
                if not events.more:
                    break
        except Exception:
            log.exception("FIX session's private stream not read", session=state.comp_id)
        finally:
            state.catching_up = False
        buffered, state.private_buffer = state.private_buffer, []
        for messages in buffered:
            self.on_private(state.account_id, messages)

    def _report(self, state, updates: list[tuple[int, dict | None]]) -> None:
        *items, (last_seq, _) = updates
        for msg_type, fields in reports_of_updates(state, items):
            state.send(msg_type, fields)
        state.private_seq = max(state.private_seq, last_seq)
        state.inbound_advanced()
