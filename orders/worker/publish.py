"""After a batch commits: latest book and quote into Redis (for REST), then events to the
channel layer (private order updates to the owner's group, market data to the symbol's)."""

import json
import logging
from datetime import UTC, datetime

from channels.layers import get_channel_layer

from marketdata.groups import account_group, book_key, quote_key, symbol_group

log = logging.getLogger("orders.engine")


def order_payload(order) -> dict:
    from orders.api.serializers import OrderSerializer

    return OrderSerializer(order).data


def _fill_payload(fill: dict | None) -> dict | None:
    if fill is None:
        return None
    return {"trade_id": fill["trade"].pk, "price": str(fill["price"]), "qty": str(fill["qty"]),
            "liquidity": fill["liquidity"], "fee": str(fill["fee"])}


async def publish_batch(core, result, redis_client) -> None:
    now = datetime.now(UTC).isoformat()
    try:
        for symbol in result.symbols:
            book = core.book(symbol)
            quote = core.quote(symbol) | {"ts": now}
            await redis_client.set(book_key(symbol), json.dumps(book))
            await redis_client.set(quote_key(symbol), json.dumps(quote))
    except Exception:
        log.warning("market data snapshot not stored", exc_info=True)
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        for update in result.updates:
            await layer.group_send(account_group(update.order.account_id), {
                "type": "order.update", "event": update.event, "order": await _payload(update.order),
                "fill": _fill_payload(update.fill)})
        for symbol in result.symbols:
            events = [e for e in result.events if e.symbol == symbol and e.seq]
            await layer.group_send(symbol_group(symbol), {
                "type": "md.events", "symbol": symbol, "quote": core.quote(symbol) | {"ts": now},
                "events": [{"kind": e.kind, "seq": e.seq} for e in events]})
    except Exception:
        # Clients resync from snapshots; a publish failure must never stop the engine.
        log.warning("publish failed", exc_info=True)


async def _payload(order) -> dict:
    from asgiref.sync import sync_to_async

    return await sync_to_async(order_payload, thread_sensitive=True)(order)
