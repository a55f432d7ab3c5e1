"""One TCP connection: framing, Logon, the checks of every incoming message (CompIDs, MsgSeqNum,
format), the session-level messages (Heartbeat, TestRequest, ResendRequest, SequenceReset, Reject,
Logout), and the hand-over of application messages to the session kind's handler, in order.
Nothing a counterparty sends can raise out of here: at worst its own connection is closed with a
Logout that says why."""

import asyncio
import time

from django.conf import settings

from common.errors import ServiceError
from common.logging import get_logger
from gateways.fix import codec, fields
from gateways.fix.selectors import fix_journal_range, fix_session_get
from gateways.fix.services import fix_session_connected, fix_session_disconnected
from orders.services.api_keys import api_key_authenticate

log = get_logger("gateways.fix")

LOGON_TIMEOUT = 10.0
MAX_QUEUED = 10_000  # messages above a gap, waiting for the resend
MAX_WRITE_BUFFER = 8 * 1024 * 1024


class Closing(Exception):
    """Stop reading: the connection is closing."""


class Connection:
    def __init__(self, gateway, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.gateway = gateway
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        self.address = str(peer[0]) if peer else "unknown"
        self.state = None  # SessionState once logged on
        self.heartbeat = 30
        self.close_when_flushed = False
        self.closed = False
        self.last_received = self.last_sent = time.monotonic()
        self.test_sent_at: float | None = None
        self.above_gap: dict[int, codec.Message] = {}
        self.resend_asked = False
        self.app_queue: asyncio.Queue = asyncio.Queue()
        self.budget = float(settings.FIX_MAX_MESSAGES_PER_SECOND)
        self.budget_at = time.monotonic()
        self.reason = "connection closed"

    # --- writing ---------------------------------------------------------------
    def write(self, data: bytes) -> None:
        if self.closed:
            return
        self.last_sent = time.monotonic()
        self.writer.write(data)
        if self.writer.transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            log.warning("FIX counterparty not reading; closing", session=self.state.comp_id if self.state else None)
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.close()

    def refuse(self, text: str, seq: int = 1) -> None:
        """A Logout outside any session (a refused Logon), then close."""
        target = self._incoming_comp_id or "UNKNOWN"
        raw, _ = codec.encode(msg_type="5", seq=seq, sender=self.gateway.comp_id, target=target, fields=[(58, text)])
        self.write(raw)
        log.info("FIX logon refused", address=self.address, comp_id=target, reason=text)
        self.close()
        raise Closing(text)

    def logout(self, text: str) -> None:
        """Logout with a reason, then close once it is written."""
        self.reason = text
        if self.state is not None and not self.close_when_flushed:
            self.state.send("5", [(58, text)])
            self.close_when_flushed = True
        else:
            self.close()
        raise Closing(text)

    def reject(self, message_or_seq, problem: fields.Problem, msg_type: str | None = None) -> None:
        seq = message_or_seq.seq if isinstance(message_or_seq, codec.Message) else message_or_seq
        if isinstance(message_or_seq, codec.Message):
            msg_type = message_or_seq.msg_type
        self.state.send("3", [(45, seq if seq is not None else 0), (58, problem.text[:200]), (371, problem.tag),
                              (372, msg_type if msg_type and len(msg_type) <= 2 else None), (373, problem.reason)])

    def business_reject(self, message: codec.Message, reason: int, text: str) -> None:
        self.state.send("j", [(45, message.seq), (372, message.msg_type), (380, reason), (58, text[:200])])

    # --- the connection's life ---------------------------------------------------
    _incoming_comp_id: str | None = None

    async def run(self) -> None:
        reader = codec.FrameReader()
        tasks = []
        try:
            while not self.closed:
                timeout = LOGON_TIMEOUT if self.state is None else None
                try:
                    data = await asyncio.wait_for(self.reader.read(65536), timeout)
                except TimeoutError:
                    self.refuse("no Logon within 10 seconds")
                if not data:
                    break
                self.last_received = time.monotonic()
                self.test_sent_at = None
                for item in reader.feed(data):
                    logged_on = self.state is not None
                    await self._frame(item)
                    if not logged_on and self.state is not None:
                        tasks = [asyncio.create_task(self._timers()), asyncio.create_task(self._applications())]
                if reader.skipped > codec.MAX_MESSAGE_BYTES:
                    reader.skipped = 0
                    if self.state is None:
                        self.refuse("not FIX 4.4")
                    self.logout("too many bytes that are not FIX messages")
        except Closing:
            pass
        except (ConnectionError, OSError):
            pass
        except Exception:
            log.exception("FIX connection failed", address=self.address)
        finally:
            for task in tasks:
                task.cancel()
            await self._finished()

    async def _finished(self) -> None:
        state = self.state
        if state is not None and state.conn is self:
            await asyncio.wait_for(state.settled(), 5)
            state.conn = None
            await self.gateway.db(fix_session_disconnected, session_id=state.id, reason=self.reason)
            self.gateway.on_disconnect(state)
            log.info("FIX session logged out", session=state.comp_id, reason=self.reason)
        self.close()

    async def _frame(self, item) -> None:
        if isinstance(item, codec.Garbled):
            if self.state is None:
                self.refuse(f"garbled Logon: {item.reason}")
            # Not consumed: the counterparty's next message shows a gap and it resends this one.
            self.reject(item.seq, fields.Problem(fields.OTHER, None, item.reason), item.msg_type)
            return
        try:
            message = codec.parse(item)
        except codec.BadTag as error:
            if self.state is None:
                self.refuse("garbled Logon: a tag is not a number")
            seq, msg_type = codec.seq_and_type(item)
            self.reject(seq, fields.Problem(error.reason, error.tag, str(error)), msg_type)
            if seq == self.state.next_in:
                self.state.next_in += 1
                self.state.inbound_advanced()
            return
        if self.state is None:
            await self._logon(message)
        else:
            await self._message(message)

    # --- Logon ---------------------------------------------------------------------
    async def _logon(self, message: codec.Message) -> None:
        self._incoming_comp_id = (message.get(49) or "")[:64] or None
        if message.msg_type != "A":
            self.refuse("the first message must be a Logon (A)")
        problem = fields.check(message)
        if problem is not None:
            self.refuse(problem.text)
        if message.get(56) != self.gateway.comp_id:
            self.refuse(f"TargetCompID(56) must be {self.gateway.comp_id}")
        if message.seq is None or message.get(52) is None:
            self.refuse("MsgSeqNum(34) and SendingTime(52) are required")
        row = await self.gateway.db(fix_session_get, sender_comp_id=self._incoming_comp_id or "")
        if row is None or not row.enabled:
            self.refuse("unknown or disabled session (SenderCompID)")
        try:
            identity = await self.gateway.db(api_key_authenticate, key_id=message.get(553), secret=message.get(554),
                                             address=self.address)
        except ServiceError as error:
            self.refuse(f"logon refused: {error.detail}")
        if identity is None:
            self.refuse("invalid Username(553) or Password(554)")
        if identity.user.pk != row.account.user_id:
            self.refuse("the API key is not of this session's account")
        if row.kind == row.Kind.ORDER_ENTRY and not identity.can_trade:
            self.refuse("order entry needs an API key with the trade scope")
        low, high = settings.FIX_HEARTBEAT_RANGE
        heartbeat = int(message.get(108))
        if not low <= heartbeat <= high:
            self.refuse(f"HeartBtInt(108) must be {low} to {high}")
        if message.get(98) != "0":
            self.refuse("EncryptMethod(98) must be 0 (none)")
        state = await self.gateway.state_for(row)
        if state.conn is not None:
            self.refuse("session already logged on")
        reset = message.get(141) == "Y"
        state.conn = self  # claimed: a second Logon now is refused
        try:
            await state.settled()
            state.reload(*await self.gateway.db(fix_session_connected, session_id=state.id, address=self.address,
                                                 reset=reset))
        except BaseException:
            state.conn = None
            raise
        self.state, self.heartbeat = state, heartbeat
        if message.seq < state.next_in:
            self.logout(f"MsgSeqNum too low, expecting {state.next_in} but received {message.seq}")
        state.send("A", [(98, 0), (108, heartbeat), (141, "Y" if reset else None)])
        log.info("FIX session logged on", session=state.comp_id, address=self.address, heartbeat=heartbeat)
        if message.seq > state.next_in:
            self._ask_resend()
        else:
            state.next_in = message.seq + 1
            state.inbound_advanced()
        await self.gateway.on_logon(state)

    def _ask_resend(self) -> None:
        if not self.resend_asked:
            self.resend_asked = True
            self.state.send("2", [(7, self.state.next_in), (16, 0)])

    # --- every message after Logon ---------------------------------------------------
    async def _message(self, message: codec.Message) -> None:
        state = self.state
        if message.get(49) != state.comp_id or message.get(56) != self.gateway.comp_id:
            self.reject(message, fields.Problem(fields.COMP_ID_PROBLEM, 49 if message.get(49) != state.comp_id else 56,
                                                "CompID problem"))
            self.logout("SenderCompID(49) or TargetCompID(56) is not this session's")
        seq = message.seq
        if seq is None:
            self.logout("MsgSeqNum(34) missing or not a number")
        if message.msg_type == "5":
            self.reason = message.get(58) or "logout requested"
            if seq == state.next_in:
                state.next_in += 1
                state.inbound_advanced()
            if not self.close_when_flushed:
                state.send("5", [(58, "logout acknowledged")])
                self.close_when_flushed = True
            raise Closing(self.reason)
        if message.msg_type == "4" and message.get(123) != "Y":
            await self._sequence_reset(message)
            return
        if seq < state.next_in:
            if not message.poss_dup:
                self.logout(f"MsgSeqNum too low, expecting {state.next_in} but received {seq}")
            if message.get(122) is None:
                self.reject(message, fields.Problem(fields.REQUIRED_TAG_MISSING, 122, "Required tag missing: 122"))
            return  # a duplicate of what we had
        if seq > state.next_in:
            if len(self.above_gap) >= MAX_QUEUED:
                self.logout("too many messages above a sequence gap")
            self.above_gap[seq] = message
            self._ask_resend()
            return
        await self._in_order(message)
        while state.next_in in self.above_gap:
            await self._in_order(self.above_gap.pop(state.next_in))
        if not self.above_gap:
            self.resend_asked = False

    async def _in_order(self, message: codec.Message) -> None:
        """A message with the expected MsgSeqNum: it is consumed whatever becomes of it."""
        state = self.state
        state.next_in = message.seq + 1
        state.inbound_advanced()
        msg_type = message.msg_type
        if msg_type not in fields.FIX44_TYPES:
            self.reject(message, fields.Problem(fields.INVALID_MSG_TYPE, 35, "Invalid MsgType"))
            return
        problem = fields.check(message)
        if problem is None and message.get(52) is None:
            problem = fields.Problem(fields.REQUIRED_TAG_MISSING, 52, "Required tag missing: 52")
        if problem is None and message.poss_dup and message.get(122) is None:
            problem = fields.Problem(fields.REQUIRED_TAG_MISSING, 122, "Required tag missing: 122")
        if problem is not None:
            self.reject(message, problem)
            return
        if msg_type in fields.SESSION_TYPES:
            await self._session_message(message)
        elif msg_type not in fields.HANDLED_APPLICATION[state.kind]:
            self.business_reject(message, 3, f"MsgType {msg_type} is not supported on a {state.kind.replace('_', ' ')} session")
        elif not self._within_budget():
            self.business_reject(message, 0, f"throttled: at most {settings.FIX_MAX_MESSAGES_PER_SECOND} messages per second")
        else:
            self.app_queue.put_nowait(message)

    def _within_budget(self) -> bool:
        now = time.monotonic()
        rate = settings.FIX_MAX_MESSAGES_PER_SECOND
        self.budget = min(float(rate), self.budget + (now - self.budget_at) * rate)
        self.budget_at = now
        if self.budget < 1:
            return False
        self.budget -= 1
        return True

    async def _session_message(self, message: codec.Message) -> None:
        msg_type, state = message.msg_type, self.state
        if msg_type == "1":
            state.send("0", [(112, message.get(112))])
        elif msg_type == "2":
            await self._resend(int(message.get(7)), int(message.get(16)))
        elif msg_type == "4":
            await self._sequence_reset(message)
        elif msg_type == "3":
            log.info("FIX counterparty rejected a message", session=state.comp_id, ref_seq=message.get(45),
                     tag=message.get(371), text=message.get(58))
        elif msg_type == "A":
            self.reject(message, fields.Problem(fields.OTHER, None, "already logged on"))

    async def _sequence_reset(self, message: codec.Message) -> None:
        state = self.state
        new_seq = message.get(36)
        if new_seq is None or not new_seq.isdigit():
            self.reject(message, fields.Problem(fields.REQUIRED_TAG_MISSING if new_seq is None else fields.INCORRECT_DATA_FORMAT,
                                                36, "NewSeqNo(36) missing or not a number"))
            return
        if int(new_seq) < state.next_in:
            self.reject(message, fields.Problem(fields.VALUE_INCORRECT, 36,
                                                f"attempt to lower sequence number, invalid value NewSeqNo={new_seq}"))
            return
        state.next_in = int(new_seq)
        state.inbound_advanced()
        for seq in [seq for seq in self.above_gap if seq < state.next_in]:
            del self.above_gap[seq]

    async def _resend(self, begin: int, end: int) -> None:
        state = self.state
        await state.settled()
        last = state.next_out - 1
        end = last if end == 0 or end > last else end
        if begin < 1 or begin > end:
            return
        rows = await self.gateway.db(fix_journal_range, session_id=state.id, begin=begin, end=end)
        sender, target = self.gateway.comp_id, state.comp_id
        expected = begin
        for seq, raw in rows + [(end + 1, None)]:
            if seq > expected:
                gap_fill, _ = codec.encode(msg_type="4", seq=expected, sender=sender, target=target,
                                           fields=[(123, "Y"), (36, seq)], poss_dup_of=codec.utc_timestamp())
                state.send_again(gap_fill)
            if raw is not None:
                state.send_again(codec.resend_copy(raw, sender=sender, target=target))
            expected = seq + 1

    # --- tasks while logged on -----------------------------------------------------------
    async def _timers(self) -> None:
        while not self.closed:
            await asyncio.sleep(min(1.0, self.heartbeat / 2))
            now = time.monotonic()
            try:
                if now - self.last_sent >= self.heartbeat:
                    self.state.send("0", [])
                grace = self.heartbeat * 1.2 + 1
                if self.test_sent_at is None and now - self.last_received >= grace:
                    self.test_sent_at = now
                    self.state.send("1", [(112, f"TEST-{int(time.time())}")])
                elif self.test_sent_at is not None and now - self.test_sent_at >= grace:
                    self.logout("no answer to TestRequest within the heartbeat interval")
            except Closing:
                self.close_when_flushed = True
                self.reader.feed_eof()
                return

    async def _applications(self) -> None:
        """Application messages in order; consecutive NewOrderSingles go to the handler together."""
        handler = self.gateway.handlers[self.state.kind]
        while True:
            batch = [await self.app_queue.get()]
            while not self.app_queue.empty() and len(batch) < 100:
                batch.append(self.app_queue.get_nowait())
            try:
                await handler.handle(self.state, batch)
            except Exception:
                log.exception("FIX application message failed", session=self.state.comp_id)
                for message in batch:
                    self.business_reject(message, 0, "internal error; the request may not have been carried out")
