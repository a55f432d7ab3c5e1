"""The one mapping from the venue's private order updates (realtime.messages.PrivateMessages, as the
engine publishes them to the account's channel) to Alpaca's `trade_updates` events. The stream
(gateways.alpaca.streams.trading) only authenticates, listens and writes what this returns.

Events keep their names (new, partial_fill, fill, canceled, expired, replaced, rejected; and
pending_cancel from the /v2/ cancel views' OrderNotice). A fill carries `price`, `qty`, `execution_id` and `position_qty`: the account's
position after that fill, from the position after the batch (its `position` push) less the later
fills of the same batch."""

from decimal import Decimal
from typing import Any

from common.decimals import format_decimal, places_of
from common.times import utc_iso
from gateways.alpaca.ids import execution_uuid
from gateways.alpaca.trading.formats import alpaca_order

OrderUpdate = dict  # {event, order, fill?}: an `order_update` message of the private stream
FILL_EVENTS = ("fill", "partial_fill")

OrderUpdate = dict[str, Any]  # an `order_update` private message: {event, order, fill?, seq}


def _signed(update: OrderUpdate) -> Decimal:
    qty = Decimal(update["fill"]["qty"])
    return qty if update["order"]["side"] == "buy" else -qty


def filled_symbols(updates: list[OrderUpdate]) -> set[str]:
    return {u["order"]["symbol"] for u in updates if u.get("fill")}


def trade_updates(updates: list[OrderUpdate], *, held: dict[str, Decimal]) -> list[dict]:
    """The `trade_updates` messages of one batch's updates of an account; `held` is the position
    quantity of each filled symbol as of after the batch."""
    after: list[Decimal | None] = [None] * len(updates)
    running = dict(held)
    for index in range(len(updates) - 1, -1, -1):
        update = updates[index]
        if update.get("fill"):
            symbol = update["order"]["symbol"]
            after[index] = running[symbol]
            running[symbol] -= _signed(update)
    return [trade_update(update, position_qty=qty) for update, qty in zip(updates, after)]


def trade_update(update: OrderUpdate, *, position_qty: Decimal | None = None) -> dict:
    body = update["order"]
    data = {"event": update["event"], "order": alpaca_order(body),
            "timestamp": body.get("updated_at") or utc_iso()}
    fill = update.get("fill")
    if fill:
        data.update(price=fill["price"], qty=fill["qty"],
                    execution_id=execution_uuid(fill["trade_id"], fill["liquidity"]),
                    position_qty=format_decimal(position_qty, places_of(Decimal(fill["qty"]))))
    return {"stream": "trade_updates", "data": data}


def batch_of(messages: list[dict]) -> tuple[list[OrderUpdate], dict[str, Decimal]]:
    """(order updates, {symbol: qty after the batch}) of one batch of private messages."""
    updates = [m for m in messages if m.get("type") == "order_update"]
    held = {m["symbol"]: Decimal(m["qty"]) for m in messages if m.get("type") == "position"}
    return updates, held
