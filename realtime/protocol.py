"""The WebSocket protocol's vocabulary: channels, limits, error and close codes, and the
parsing of client messages. No I/O here (docs/realtime.md describes the protocol)."""

import json
import time

from common.jsontext import dumps
from common.symbols import SYMBOL

PUBLIC_CHANNELS = ("quotes", "book", "trades", "candles", "analytics")
PRIVATE_CHANNELS = ("orders",)
CHANNELS = PUBLIC_CHANNELS + PRIVATE_CHANNELS

MAX_FRAME_BYTES = 64 * 1024  # a client frame above this gets `bad_message`
MAX_SYMBOLS_PER_MESSAGE = 100
MAX_SUBSCRIPTIONS = 200  # (channel, symbol) pairs per socket; `orders` counts as one
# Client messages: a token bucket per socket. Past the bucket, messages are refused with
# one `rate_limited` error; a client whose refusals outrun its allowed messages by
# FLOOD_REFUSALS is closed.
RATE_PER_SECOND = 20.0
RATE_BURST = 100
FLOOD_REFUSALS = 100


class CloseCode:
    """Close codes the server uses (4000-4999 are the application's)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    TOO_BIG = 1009  # a frame above the server's hard limit (the ASGI server closes)
    AUTH_FAILED = 4001  # `?token=` did not authenticate
    SLOW_CONSUMER = 4008  # the socket's outbound buffer stayed full
    FLOOD = 4029  # the client kept sending past the message rate limit
    PRIVATE_STREAM = 4011  # the private stream could not be read back: reconnect and resume with `since`


class ProtocolError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def error_text(code: str, message: str) -> str:
    return dumps({"type": "error", "code": code, "message": message})


def parse_frame(text_data: str | None) -> dict:
    """The client's frame as a message with an "action" string, or ProtocolError."""
    if text_data is None or len(text_data) > MAX_FRAME_BYTES:
        raise ProtocolError("bad_message", "Send one JSON object per text frame (at most 64 KiB).")
    try:
        message = json.loads(text_data)
    except ValueError:
        raise ProtocolError("bad_json", "The frame is not valid JSON.") from None
    if not isinstance(message, dict) or not isinstance(message.get("action"), str):
        raise ProtocolError("bad_message", 'Expected an object with an "action" string.')
    return message


def _strings(message: dict, field: str, limit: int) -> list[str]:
    value = message.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProtocolError("bad_message", f'"{field}" must be a list of strings.')
    if len(value) > limit:
        raise ProtocolError("too_many_subscriptions", f'At most {limit} "{field}" per message.')
    return list(dict.fromkeys(value))


def parse_subscription(message: dict) -> tuple[list[str], list[str]]:
    """(channels, symbols) of a subscribe/unsubscribe message; symbols are checked for shape
    only (the caller checks they are instruments)."""
    channels = _strings(message, "channels", len(CHANNELS))
    if not channels:
        raise ProtocolError("bad_message", 'Give at least one channel in "channels".')
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ProtocolError("unknown_channel", f"Unknown channel {unknown[0][:40]!r}; channels are {', '.join(CHANNELS)}.")
    symbols = _strings(message, "symbols", MAX_SYMBOLS_PER_MESSAGE)
    if any(c in PUBLIC_CHANNELS for c in channels) and not symbols:
        raise ProtocolError("bad_message", f'Give the symbols of {", ".join(c for c in channels if c in PUBLIC_CHANNELS)} in "symbols".')
    malformed = [s for s in symbols if not SYMBOL.fullmatch(s)]
    if malformed:
        raise ProtocolError("unknown_symbol", f"Unknown symbol {malformed[0][:40]!r}.")
    return channels, symbols


MAX_SEQ = 2**63 - 1  # a private seq is a 64-bit integer


def parse_since(message: dict, channels: list[str]) -> int | None:
    """The `since` of a subscribe message: the private seq the `orders` channel resumes after."""
    if "since" not in message or message["since"] is None:
        return None
    since = message["since"]
    if "orders" not in channels:
        raise ProtocolError("bad_message", '"since" applies to the orders channel only.')
    if isinstance(since, bool) or not isinstance(since, int) or not 0 <= since <= MAX_SEQ:
        raise ProtocolError("invalid_since", '"since" must be an integer >= 0: the seq of the last private '
                                             "message received.")
    return since


class RateLimiter:
    """Token bucket over client messages."""

    __slots__ = ("tokens", "stamp", "refused", "rate", "burst")

    def __init__(self, rate: float = RATE_PER_SECOND, burst: int = RATE_BURST):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()
        # Refusals, less one per message allowed since: a flooder's count climbs at (its rate - RATE)
        # per second, whether its frames arrive fast or are read slowly. (Reset by every allowed
        # message, a client at 1,000/s whose frames took over 0.5 ms each was never closed.)
        self.refused = 0

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            if self.refused:
                self.refused -= 1
            return True
        self.refused += 1
        return False
