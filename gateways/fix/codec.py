"""FIX 4.4 on the wire: framing of a byte stream into messages (strict: BeginString, BodyLength and
CheckSum are verified, garbage between messages is skipped), parsing with simplefix, and the
encoding of our messages (simplefix computes BodyLength and CheckSum)."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import simplefix
import simplefix.errors

BEGIN_STRING = "FIX.4.4"
SOH = b"\x01"
MAX_MESSAGE_BYTES = 64 * 1024
_START = b"8=FIX"
_HEAD = re.compile(rb"8=([^\x01]{1,16})\x019=([^\x01]{0,16})\x01")
_TRAILER = re.compile(rb"\x0110=(\d{3})\x01")
_SEQ = re.compile(rb"\x0134=(\d{1,18})\x01")
_TYPE = re.compile(rb"\x0135=([^\x01]{1,4})\x01")
HEADER_TAGS = frozenset({8, 9, 35, 34, 49, 56, 52, 43, 97, 122, 50, 57, 115, 128, 10})


@dataclass(frozen=True, slots=True)
class Garbled:
    """A frame that is not a valid message: why, and what of it could be read."""

    reason: str
    seq: int | None
    msg_type: str | None


class Message:
    """A parsed message: its fields in wire order (tag, text)."""

    __slots__ = ("pairs", "first", "raw")

    def __init__(self, pairs: list[tuple[int, str]], raw: bytes = b""):
        self.pairs = pairs
        self.raw = raw
        self.first: dict[int, str] = {}
        for tag, value in pairs:
            self.first.setdefault(tag, value)

    @property
    def msg_type(self) -> str | None:
        return self.first.get(35)

    def get(self, tag: int, default: str | None = None) -> str | None:
        return self.first.get(tag, default)

    def all(self, tag: int) -> list[str]:
        return [value for t, value in self.pairs if t == tag]

    @property
    def seq(self) -> int | None:
        value = self.first.get(34)
        return int(value) if value is not None and value.isdigit() else None

    @property
    def poss_dup(self) -> bool:
        return self.first.get(43) == "Y"


class BadTag(ValueError):
    """A field whose tag is not a positive number (Reject with reason 0)."""

    reason = 0
    tag = None


class EmptyValue(BadTag):
    """A tag without a value (Reject with reason 4)."""

    reason = 4

    def __init__(self, tag: int):
        super().__init__(f"Tag specified without a value: {tag}")
        self.tag = tag


def parse(raw: bytes) -> Message:
    """The fields of one framed message (see FrameReader). BadTag for a tag that is not a number;
    values that are not UTF-8 are kept with their bytes escaped."""
    parser = simplefix.FixParser()
    parser.append_buffer(raw)
    try:
        parsed = parser.get_message()
    except simplefix.errors.EmptyValueError as error:
        tag = str(error.args[0] if error.args else "")
        raise EmptyValue(int(tag) if tag.isdigit() else 0) from None
    except Exception as error:  # whatever else the parser finds wrong
        raise BadTag(str(error)[:40]) from None
    pairs = []
    for tag, value in parsed.pairs if parsed is not None else ():
        if not tag.isdigit() or int(tag) <= 0:
            raise BadTag("Invalid tag number: " + tag.decode("ascii", "backslashreplace")[:20])
        pairs.append((int(tag), value.decode("utf-8", "backslashreplace")))
    return Message(pairs, raw)


class FrameReader:
    """Splits a byte stream into messages. `feed` returns the complete frames seen so far, each the
    raw bytes of a message whose BodyLength and CheckSum are right, or a Garbled."""

    def __init__(self):
        self.buffer = bytearray()
        self.skipped = 0  # garbage bytes thrown away

    def feed(self, data: bytes) -> list[bytes | Garbled]:
        self.buffer += data
        out: list[bytes | Garbled] = []
        while True:
            item = self._next()
            if item is None:
                return out
            out.append(item)

    def _skip_to_next_start(self, after: int) -> None:
        start = self.buffer.find(_START, after)
        drop = start if start >= 0 else max(0, len(self.buffer) - len(_START) + 1)
        self.skipped += drop
        del self.buffer[:drop]

    def _garbled(self, reason: str, end: int) -> Garbled:
        chunk = bytes(self.buffer[:end])
        seq, msg_type = _SEQ.search(chunk), _TYPE.search(chunk)
        return Garbled(reason, int(seq.group(1)) if seq else None, msg_type.group(1).decode("ascii", "replace") if msg_type else None)

    def _next(self) -> bytes | Garbled | None:
        buffer = self.buffer
        if not buffer.startswith(_START):
            self._skip_to_next_start(0)
            if not buffer.startswith(_START):
                return None
        head = _HEAD.match(buffer)
        if head is None:
            if len(buffer) < 40 and SOH * 2 not in buffer:
                return None  # the header is still arriving
            garbled = self._garbled("BodyLength(9) missing", len(buffer))
            self._skip_to_next_start(1)
            return garbled
        if head.group(1).decode("ascii", "replace") != BEGIN_STRING:
            garbled = self._garbled(f"BeginString must be {BEGIN_STRING}", head.end())
            self._skip_to_next_start(1)
            return garbled
        length_text = head.group(2)
        body_start = head.end()
        trailer = _TRAILER.search(buffer, body_start - 1)
        if not length_text.isdigit():
            if trailer is None and len(buffer) < MAX_MESSAGE_BYTES:
                return None
            end = trailer.end() if trailer else len(buffer)
            garbled = self._garbled("BodyLength(9) is not a number", end)
            self._skip_to_next_start(end)
            return garbled
        end = body_start + int(length_text)
        if trailer is None:
            if len(buffer) - body_start > MAX_MESSAGE_BYTES:
                garbled = self._garbled("message too long or without CheckSum(10)", len(buffer))
                self._skip_to_next_start(1)
                return garbled
            return None
        if trailer.start() + 1 != end:
            garbled = self._garbled(f"BodyLength(9) {int(length_text)} is wrong", trailer.end())
            self._skip_to_next_start(trailer.end())
            return garbled
        checksum, stop = int(trailer.group(1)), trailer.end()
        raw = bytes(buffer[:stop])
        del buffer[:stop]
        if sum(raw[:end]) % 256 != checksum:
            return Garbled("CheckSum(10) is wrong", *seq_and_type(raw))
        return raw


def seq_and_type(raw: bytes) -> tuple[int | None, str | None]:
    seq, msg_type = _SEQ.search(raw), _TYPE.search(raw)
    return (int(seq.group(1)) if seq else None), (msg_type.group(1).decode("ascii", "replace") if msg_type else None)


def utc_timestamp(moment: datetime | None = None) -> str:
    """UTCTimestamp with milliseconds: 20260102-15:04:05.123."""
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y%m%d-%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def encode(*, msg_type: str, seq: int, sender: str, target: str, fields, sending_time: str | None = None,
           poss_dup_of: str | None = None) -> tuple[bytes, str]:
    """(the encoded message, its SendingTime). `fields` are (tag, value) in order; None values are left out.
    `poss_dup_of`: the original SendingTime of a message sent again (PossDupFlag=Y, OrigSendingTime)."""
    message = simplefix.FixMessage()
    message.append_pair(8, BEGIN_STRING, header=True)
    message.append_pair(35, msg_type, header=True)
    message.append_pair(49, sender, header=True)
    message.append_pair(56, target, header=True)
    message.append_pair(34, seq, header=True)
    sending_time = sending_time or utc_timestamp()
    message.append_pair(52, sending_time, header=True)
    if poss_dup_of is not None:
        message.append_pair(43, "Y", header=True)
        message.append_pair(122, poss_dup_of, header=True)
    for tag, value in fields:
        if value is not None:
            message.append_pair(tag, value)
    return message.encode(), sending_time


def resend_copy(raw: bytes, *, sender: str, target: str) -> bytes:
    """A journaled message sent again: same MsgSeqNum and body, a new SendingTime, PossDupFlag=Y and
    OrigSendingTime the first SendingTime."""
    message = parse(raw)
    body = [(tag, value) for tag, value in message.pairs if tag not in HEADER_TAGS]
    encoded, _ = encode(msg_type=message.msg_type, seq=message.seq, sender=sender, target=target, fields=body,
                        poss_dup_of=message.get(52))
    return encoded
