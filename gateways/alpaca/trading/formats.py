"""The venue's rows in Alpaca's trading shapes (alpaca-py's models: every field they require, with
its type). Orders are built from the v1 order JSON (orders.api.serializers.order_json), so the
REST answers and the `trade_updates` stream write an order alike from the same source."""

from decimal import Decimal

from common.decimals import format_cash, format_decimal, places_of
from common.times import utc_iso
from gateways.alpaca.ids import account_uuid, asset_uuid, order_uuid
from marketdata.models import Instrument
from orders.api.serializers import order_json
from orders.models import Order
from orders.selectors import PositionValue

ZERO = Decimal("0")
EXCHANGE = ""  # the venue is not one of Alpaca's exchanges; alpaca-py's AssetExchange has ""
ASSET_CLASS = "us_equity"
# Times an order's final state stamps, by status.
STATUS_TIMES = {"filled": "filled_at", "canceled": "canceled_at", "expired": "expired_at", "rejected": "failed_at"}


def alpaca_order(body: dict) -> dict:
    """An Alpaca order from an order as v1 writes it."""
    status = body["status"]
    if status in ("accepted", "new", "partially_filled") and body.get("pending_replace"):
        status = "pending_replace"
    order = {
        "id": order_uuid(body["id"]),
        # Every Alpaca order has one: orders placed without (v1, bots) show their own id.
        "client_order_id": body["client_order_id"] or order_uuid(body["id"]),
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "submitted_at": body["created_at"],
        "filled_at": None, "expired_at": None, "expires_at": None, "canceled_at": None, "failed_at": None,
        "replaced_at": None, "replaced_by": None, "replaces": None,
        "asset_id": asset_uuid(body["symbol"]),
        "symbol": body["symbol"],
        "asset_class": ASSET_CLASS,
        "notional": None,
        "qty": body["qty"],
        "filled_qty": body["filled_qty"],
        "filled_avg_price": body["avg_fill_price"],
        "order_class": "simple",
        "order_type": body["type"],
        "type": body["type"],
        "side": body["side"],
        "position_intent": None,
        "time_in_force": body["time_in_force"],
        "limit_price": body["limit_price"],
        "stop_price": body["stop_price"],
        "status": status,
        "extended_hours": False,
        "legs": None,
        "trail_percent": None, "trail_price": None, "hwm": None,
        "subtag": None, "source": None,
    }
    stamp = STATUS_TIMES.get(status)
    if stamp:
        order[stamp] = body["updated_at"]
    return order


def order_answer(order: Order) -> dict:
    body = order_json(order)
    body["pending_replace"] = order.replace_qty is not None
    return alpaca_order(body)


def asset_json(instrument: Instrument) -> dict:
    lot, tick = instrument.lot_size, instrument.tick_size
    return {
        "id": asset_uuid(instrument.symbol),
        "class": ASSET_CLASS,
        "exchange": EXCHANGE,
        "symbol": instrument.symbol,
        "name": instrument.name,
        "status": "active",
        "tradable": instrument.is_trading,
        "marginable": False,
        "shortable": False,
        "easy_to_borrow": False,
        "fractionable": False,
        "min_order_size": format_decimal(lot, places_of(lot)),
        "min_trade_increment": format_decimal(lot, places_of(lot)),
        "price_increment": format_decimal(tick, places_of(tick)),
        "maintenance_margin_requirement": 100,
        "attributes": [],
    }


def account_json(*, account, summary: dict, long_value: Decimal) -> dict:
    cash, buying_power, equity = summary["cash"], summary["buying_power"], summary["equity"]
    return {
        "id": account_uuid(account.pk),
        "account_number": f"VEN{account.pk:09d}",
        "status": "ACTIVE",
        "crypto_status": "INACTIVE",
        "currency": account.currency,
        "cash": format_cash(cash),
        "buying_power": format_cash(buying_power),
        "regt_buying_power": format_cash(buying_power),
        "daytrading_buying_power": format_cash(buying_power),
        "non_marginable_buying_power": format_cash(buying_power),
        "options_buying_power": "0",
        "accrued_fees": "0",
        "pending_transfer_out": "0",
        "pending_transfer_in": "0",
        "portfolio_value": format_cash(equity),
        "equity": format_cash(equity),
        "last_equity": format_cash(equity),
        "long_market_value": format_cash(long_value),
        "short_market_value": "0",
        "initial_margin": "0",
        "maintenance_margin": "0",
        "last_maintenance_margin": "0",
        "sma": "0",
        "multiplier": "1",
        "pattern_day_trader": False,
        "trading_blocked": bool(account.frozen),
        "transfers_blocked": False,
        "account_blocked": bool(account.frozen),
        "trade_suspended_by_user": False,
        "shorting_enabled": False,
        "daytrade_count": 0,
        "options_approved_level": 0,
        "options_trading_level": 0,
        "created_at": utc_iso(account.created_at),
    }


def _ratio(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return "0"
    return format_decimal(part / whole, 4)


def position_json(value: PositionValue) -> dict:
    instrument = value.instrument
    price_places, qty_places = places_of(instrument.tick_size), places_of(instrument.lot_size)
    cost_basis = value.qty * value.avg_price
    previous = instrument.reference_price or value.market_price
    intraday = value.qty * (value.market_price - previous)
    return {
        "asset_id": asset_uuid(instrument.symbol),
        "symbol": instrument.symbol,
        "exchange": EXCHANGE,
        "asset_class": ASSET_CLASS,
        "asset_marginable": False,
        "avg_entry_price": format_decimal(value.avg_price, price_places),
        "qty": format_decimal(value.qty, qty_places),
        "qty_available": format_decimal(value.qty - value.reserved_qty, qty_places),
        "side": "long",
        "market_value": format_cash(value.market_value),
        "cost_basis": format_cash(cost_basis),
        "unrealized_pl": format_cash(value.unrealized_pl),
        "unrealized_plpc": _ratio(value.unrealized_pl, cost_basis),
        "unrealized_intraday_pl": format_cash(intraday),
        "unrealized_intraday_plpc": _ratio(intraday, value.qty * previous),
        "current_price": format_decimal(value.market_price, price_places),
        "lastday_price": format_decimal(previous, price_places),
        "change_today": _ratio(value.market_price - previous, previous),
    }
