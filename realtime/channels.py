"""The one module that knows the names of the real-time channels and of the Redis keys of the
engine's market-data publication (see docs/realtime.md).

Market data and private order updates travel from the engine to the web processes over Redis
pub/sub: each web process's hub subscribes once per symbol (and once per account with a
subscribed socket there) and fans out in memory. Pub/sub channels are global to a Redis
server, not per database, so their names carry the database number of REDIS_URL.
"""

from functools import cache
from urllib.parse import parse_qs, urlparse

from django.conf import settings


@cache
def _namespace(url: str) -> str:
    parsed = urlparse(url)
    db = parse_qs(parsed.query).get("db", [""])[0]
    if not db and parsed.scheme != "unix":
        db = parsed.path.strip("/")
    db = db or "0"
    return f"tradeapp:{db}:"


def symbol_channel(symbol: str) -> str:
    """Market data of one symbol (the engine's and the feeds' reference price). Subscribers are
    web-process hubs, never single sockets."""
    return f"{_namespace(settings.REDIS_URL)}md.{symbol}"


def account_channel(account_id: int) -> str:
    """Private order updates of one account. Subscribers are the hubs of the web processes where
    that account has a socket subscribed to `orders`."""
    return f"{_namespace(settings.REDIS_URL)}orders.{account_id}"


def hub_control_channel() -> str:
    """Every hub subscribes to it from the start (a pub/sub connection needs one channel)."""
    return f"{_namespace(settings.REDIS_URL)}hub"


def book_key(symbol: str) -> str:
    """Redis key of the latest L2 snapshot the engine published for a symbol:
    JSON `{seq, bids, asks, ts}`, `seq` being the symbol's book sequence."""
    return f"md:book:{symbol}"


def book_seq_key(symbol: str) -> str:
    """Redis counter of the symbol's book sequence (INCR once per published book change)."""
    return f"md:bookseq:{symbol}"


def quote_key(symbol: str) -> str:
    return f"md:quote:{symbol}"


def engine_stream_key() -> str:
    """Redis Stream of the engine's committed batches (realtime.messages.EngineBatch, one entry per
    batch, capped near settings.ENGINE_STREAM_MAXLEN entries): the input of `run_analytics`."""
    return "md:engine-batches"


def analytics_key(symbol: str) -> str:
    """Redis key of a symbol's latest analytics (JSON, docs/analytics.md)."""
    return f"md:analytics:{symbol}"
