"""What the hub does with `run_analytics`'s publications: a symbol's latest analytics to its
`analytics` subscribers (conflated, latest wins, and sent on subscribe), and a triggered alert to
its owner's private (`orders`) subscribers only."""

import json

from common.jsontext import dumps
from realtime.channels import analytics_key
from realtime.hub.symbol import SymbolStream
from realtime.messages import AlertTriggered, AnalyticsUpdate


def analytics_text(symbol: str, values: dict) -> str:
    return dumps({"type": "analytics", "symbol": symbol, "values": values})


async def load_analytics(redis, streams: list[SymbolStream]) -> None:
    """The latest analytics from Redis of the streams that have none yet."""
    missing = [s for s in streams if s.analytics_text is None]
    if missing:
        for stream, raw in zip(missing, await redis.mget([analytics_key(s.symbol) for s in missing])):
            if raw and stream.analytics_text is None:
                stream.analytics_text = analytics_text(stream.symbol, json.loads(raw))


def on_analytics(stream: SymbolStream | None, message: AnalyticsUpdate) -> None:
    if stream is None:
        return
    text = stream.analytics_text = analytics_text(stream.symbol, message.values)
    for connection in stream.subs["analytics"]:
        connection.push_latest(("analytics", stream.symbol), text)


def on_alert(sockets, message: AlertTriggered) -> None:
    if sockets:
        text = dumps({"type": "alert", **message.alert})
        for connection in sockets:
            connection.push(text)
