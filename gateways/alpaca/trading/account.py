"""/v2/account, /v2/assets, /v2/clock and /v2/calendar."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rest_framework.response import Response

from gateways.alpaca.base import AlpacaView, current_account
from gateways.alpaca.errors import invalid, not_found
from gateways.alpaca.ids import asset_uuid, parse_uuid
from gateways.alpaca.inputs import choice, symbol_value
from gateways.alpaca.trading.formats import ASSET_CLASS, EXCHANGE, account_json, asset_json
from gateways.alpaca.trading.session import MAX_CALENDAR_DAYS, calendar_json, clock_json
from marketdata.models import Instrument
from marketdata.selectors import instrument_get, instrument_list
from orders.selectors import account_summary, position_list


class AccountView(AlpacaView):
    def get(self, request):
        account = current_account(request)
        long_value = sum((p.market_value for p in position_list(account=account)), Decimal(0))
        return Response(account_json(account=account, summary=account_summary(account=account), long_value=long_value))


def instrument_of(raw: str) -> Instrument | None:
    """The instrument a path names by symbol or by asset id."""
    value = parse_uuid(raw)
    if value is not None:
        return next((i for i in instrument_list() if asset_uuid(i.symbol) == str(value)), None)
    return instrument_get(symbol=symbol_value(raw))


class AssetListView(AlpacaView):
    def get(self, request):
        query = request.query_params
        status = choice(query, "status", ("active", "inactive"))
        asset_class = choice(query, "asset_class", ("us_equity", "us_option", "crypto", "crypto_perp"))
        exchange = query.get("exchange")
        if status == "inactive" or asset_class not in (None, ASSET_CLASS) or exchange not in (None, "", EXCHANGE):
            return Response([])
        return Response([asset_json(instrument) for instrument in instrument_list()])


class AssetDetailView(AlpacaView):
    def get(self, request, symbol_or_asset_id: str):
        instrument = instrument_of(symbol_or_asset_id)
        if instrument is None:
            raise not_found("asset not found")
        return Response(asset_json(instrument))


class ClockView(AlpacaView):
    def get(self, request):
        return Response(clock_json())


def _date(query, name: str, default):
    text = query.get(name)
    if not text:
        return default
    try:
        return datetime.strptime(text[:10], "%Y-%m-%d").date() if len(text) <= 40 else None
    except ValueError:
        raise invalid(f"{name} must be a date, e.g. 2026-01-02") from None


class CalendarView(AlpacaView):
    def get(self, request):
        today = datetime.now(UTC).date()
        start = _date(request.query_params, "start", today)
        end = _date(request.query_params, "end", start + timedelta(days=30))
        if start is None or end is None or end < start or (end - start).days > MAX_CALENDAR_DAYS:
            raise invalid(f"give start <= end, at most {MAX_CALENDAR_DAYS} days apart")
        return Response(calendar_json(start, end))
