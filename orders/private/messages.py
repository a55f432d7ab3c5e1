"""The private message: one encode and one decode, and the formatting of each kind's body (the shapes
of REST: `order_update` as API.md, `account` as `GET account/`, `position` as an item of
`GET positions/`)."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from common.decimals import format_cash, format_decimal, places_of
from common.jsontext import dumps, loads
from orders.api.serializers import order_json

ZERO = Decimal("0")
ORDER_UPDATE, ACCOUNT, POSITION = "order_update", "account", "position"
PRIVATE_TYPES = (ORDER_UPDATE, ACCOUNT, POSITION)


class MalformedPrivateMessage(ValueError):
    """Not a private message."""


@dataclass(slots=True)
class PrivateMessage:
    """One message of an account's private stream. On the wire (and stored) it is one JSON object:
    `{"type", "seq", ...body}`."""

    account_id: int
    seq: int
    type: str  # one of PRIVATE_TYPES
    body: dict[str, Any]
    _text: str | None = field(default=None, repr=False, compare=False)  # encoded once (stored, then published)

    def encode(self) -> str:
        if self._text is None:
            self._text = dumps({"type": self.type, "seq": self.seq, **self.body})
        return self._text

    @classmethod
    def decode(cls, account_id: int, text: str | bytes) -> "PrivateMessage":
        try:
            body = loads(text)
            kind, seq = body.pop("type"), body.pop("seq")
        except (orjson.JSONDecodeError, UnicodeDecodeError, AttributeError, KeyError, TypeError) as error:
            raise MalformedPrivateMessage(f"not a private message: {str(error)[:80]}") from None
        if kind not in PRIVATE_TYPES or not isinstance(seq, int):
            raise MalformedPrivateMessage(f"not a private message: type {str(kind)[:20]!r}")
        return cls(account_id=account_id, seq=seq, type=kind, body=body)


def order_update_body(update, formatted: dict[int, dict]) -> dict:
    """`{event, order, fill?}` of one of the engine worker's OrderUpdates; `formatted` caches each order's
    JSON (as the batch left it) across the batch's updates."""
    order = update.order
    body = formatted.get(order.pk)
    if body is None:
        body = formatted[order.pk] = order_json(order)
    item = {"event": update.event, "order": body}
    if update.fill is not None:
        fill, instrument = update.fill, order.instrument
        item["fill"] = {"trade_id": fill["trade"].pk,
                        "price": format_decimal(fill["price"], places_of(instrument.tick_size)),
                        "qty": format_decimal(fill["qty"], places_of(instrument.lot_size)),
                        "liquidity": fill["liquidity"], "fee": format_cash(fill["fee"])}
    return item


@dataclass(slots=True)
class Holding:
    """A position's stored fields with what values it (the mark price and the instrument's grid)."""

    symbol: str
    instrument_id: int
    tick_size: Decimal
    lot_size: Decimal
    qty: Decimal
    reserved_qty: Decimal
    avg_price: Decimal
    realized_pl: Decimal
    mark: Decimal  # last trade, else reference, else avg_price (orders.selectors.mark_price)

    @property
    def market_value(self) -> Decimal:
        return self.qty * self.mark

    @property
    def unrealized_pl(self) -> Decimal:
        return self.qty * (self.mark - self.avg_price)


def position_body(h: Holding) -> dict:
    price, qty = places_of(h.tick_size), places_of(h.lot_size)
    return {"symbol": h.symbol, "qty": format_decimal(h.qty, qty), "reserved_qty": format_decimal(h.reserved_qty, qty),
            "avg_price": format_decimal(h.avg_price, price), "market_price": format_decimal(h.mark, price),
            "market_value": format_cash(h.market_value), "unrealized_pl": format_cash(h.unrealized_pl),
            "realized_pl": format_cash(h.realized_pl)}


def account_body(*, account_id: int, currency: str, cash: Decimal, reserved_cash: Decimal,
                 holdings: list[Holding]) -> dict:
    """As orders.selectors.account_summary computes it, from the account's holdings."""
    return {"id": account_id, "currency": currency, "cash": format_cash(cash),
            "reserved_cash": format_cash(reserved_cash), "buying_power": format_cash(cash - reserved_cash),
            "equity": format_cash(cash + sum((h.market_value for h in holdings), ZERO)),
            "realized_pl": format_cash(sum((h.realized_pl for h in holdings), ZERO)),
            "unrealized_pl": format_cash(sum((h.unrealized_pl for h in holdings), ZERO))}
