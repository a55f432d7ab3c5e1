"""A FIX session as the gateway holds it, connected or not: its sequence numbers, the messages on
their way out (stored in the database, then written) and the ClOrdIDs of its orders.

Outgoing messages get their MsgSeqNum as they are queued. One task per session takes what is
queued, stores the sequence numbers and the application messages (the journal a ResendRequest is
answered from) in one transaction, then writes them: nothing is sent that a restart could send
again under the same number. While no connection is logged on, application messages for the
session (execution reports) are still numbered and journaled, so the counterparty gets them by
ResendRequest when it logs on again; session-level messages are not sent then.
"""

import asyncio

from common.logging import get_logger
from gateways.fix import codec
from gateways.fix.services import fix_session_store

log = get_logger("gateways.fix")

JOURNALED = frozenset("8 9 r".split())  # resent as they were; everything else becomes a GapFill


class SessionState:
    def __init__(self, gateway, row):
        self.gateway = gateway
        self.id: int = row.pk
        self.comp_id: str = row.sender_comp_id
        self.account_id: int = row.account_id
        self.kind: str = row.kind
        self.next_in: int = row.next_in_seq
        self.next_out: int = row.next_out_seq
        # The account's private stream: the last seq taken in (reported or waiting), and reported.
        self.received_seq = self.private_seq = row.private_seq or 0
        self.catching_up = False
        self.private_buffer: list[list[tuple[int, str]]] = []
        self.stored = (self.next_in, self.next_out, self.private_seq)
        self.orders: dict[int, list[str]] = {}  # order id -> this session's ClOrdIDs for it, oldest first
        self.pending: dict[int, tuple[str, str, str]] = {}  # order id -> (cancel|replace, ClOrdID, OrigClOrdID)
        # While a request is with the services, the engine's updates of its order wait (keys: ("c",
        # ClOrdID), ("o", order id)), so that the answer to the request is reported first.
        self.holding: dict[tuple, int] = {}
        self.deferred: list[list[tuple[int, dict]]] = []
        self.conn = None  # the logged-on Connection, if any
        # (seq, MsgType, raw, journal, live): `live` when queued for the logged-on connection (what was
        # queued while none was is only journaled: the counterparty asks for it with a ResendRequest)
        self._pending: list[tuple[int, str, bytes, bool, bool]] = []
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()
        self._task = asyncio.get_running_loop().create_task(self._flush_loop())

    def hold(self, key: tuple) -> None:
        self.holding[key] = self.holding.get(key, 0) + 1

    def holds(self, updates: list[tuple[int, dict]]) -> bool:
        """Whether these updates must wait (one of them is of a request in flight, or earlier ones wait)."""
        if self.deferred:
            return True
        holding = self.holding
        return bool(holding) and any(("o", u["order"]["id"]) in holding or ("c", u["order"].get("client_order_id")) in holding
                                     for _, u in updates)

    def reload(self, next_in: int, next_out: int) -> None:
        """The numbers as stored at logon (ops may have reset them meanwhile)."""
        self.next_in, self.next_out = next_in, next_out
        self.stored = (next_in, next_out, self.stored[2])

    def send(self, msg_type: str, fields) -> int | None:
        """Queue a message with the next MsgSeqNum. Session-level and market data messages are dropped
        while no connection is logged on; returns the MsgSeqNum or None."""
        journal = msg_type in JOURNALED
        if not journal and not self.live:
            return None
        seq = self.next_out
        raw, _ = codec.encode(msg_type=msg_type, seq=seq, sender=self.gateway.comp_id, target=self.comp_id,
                              fields=fields)
        self.next_out = seq + 1
        self._queue((seq, msg_type, raw, journal, self.live))
        return seq

    def send_again(self, raw: bytes) -> None:
        """A message already numbered (a resent copy or a GapFill): written in turn, not stored."""
        self._queue((0, "", raw, False, self.live))

    @property
    def live(self) -> bool:
        return self.conn is not None and self.conn.state is self

    def inbound_advanced(self) -> None:
        """next_in (or private_seq) moved: store it with the next batch."""
        if self.next_in != self.stored[0] or self.private_seq != self.stored[2]:
            self._wake.set()
            self.idle.clear()

    def _queue(self, item) -> None:
        self._pending.append(item)
        self._wake.set()
        self.idle.clear()

    async def settled(self) -> None:
        """Until everything queued so far is stored and written."""
        await self.idle.wait()

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending or self.next_in != self.stored[0] or self.private_seq != self.stored[2]:
                batch, self._pending = self._pending, []
                numbered = [seq for seq, _, _, _, _ in batch if seq]
                next_out = numbered[-1] + 1 if numbered else self.stored[1]
                wanted = (self.next_in, max(next_out, self.stored[1]), self.private_seq)
                journal = [(seq, msg_type, raw) for seq, msg_type, raw, keep, _ in batch if keep]
                if wanted != self.stored or journal:
                    try:
                        await self.gateway.db(fix_session_store, session_id=self.id, next_in=wanted[0],
                                              next_out=wanted[1], private_seq=wanted[2], journal=journal)
                        self.stored = wanted
                    except Exception:
                        # Sent anyway: the counterparty must not wait on our database. A restart may
                        # then reuse these numbers, which the counterparty will report.
                        log.exception("FIX sequence numbers not stored", session=self.comp_id)
                        self.stored = wanted
                conn = self.conn
                data = b"".join(raw for _, _, raw, _, live in batch if live)
                if conn is not None and data:
                    conn.write(data)
            if not self._pending:
                self.idle.set()
                conn = self.conn
                if conn is not None and conn.close_when_flushed:
                    conn.close()
