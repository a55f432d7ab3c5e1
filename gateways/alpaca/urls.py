"""Routes of the Alpaca-compatible REST API, mounted at /v2/ by tradeapp.urls (no trailing slashes,
as Alpaca's paths)."""

from django.urls import path, re_path

from gateways.alpaca.base import UnknownPathView
from gateways.alpaca.market_data.views import BarsView, LatestBarsView, LatestQuotesView, LatestTradesView, SnapshotsView
from gateways.alpaca.trading.account import AccountView, AssetDetailView, AssetListView, CalendarView, ClockView
from gateways.alpaca.trading.orders import OrderByClientIdView, OrderDetailView, OrderListView
from gateways.alpaca.trading.positions import PositionDetailView, PositionListView

urlpatterns = [
    path("account", AccountView.as_view(), name="alpaca-account"),
    path("assets", AssetListView.as_view(), name="alpaca-assets"),
    path("assets/<str:symbol_or_asset_id>", AssetDetailView.as_view(), name="alpaca-asset"),
    path("orders", OrderListView.as_view(), name="alpaca-orders"),
    path("orders:by_client_order_id", OrderByClientIdView.as_view(), name="alpaca-order-by-client-id"),
    path("orders/<str:order_id>", OrderDetailView.as_view(), name="alpaca-order"),
    path("positions", PositionListView.as_view(), name="alpaca-positions"),
    path("positions/<str:symbol_or_asset_id>", PositionDetailView.as_view(), name="alpaca-position"),
    path("clock", ClockView.as_view(), name="alpaca-clock"),
    path("calendar", CalendarView.as_view(), name="alpaca-calendar"),
    path("stocks/bars", BarsView.as_view(), name="alpaca-bars"),
    path("stocks/bars/latest", LatestBarsView.as_view(), name="alpaca-bars-latest"),
    path("stocks/quotes/latest", LatestQuotesView.as_view(), name="alpaca-quotes-latest"),
    path("stocks/trades/latest", LatestTradesView.as_view(), name="alpaca-trades-latest"),
    path("stocks/snapshots", SnapshotsView.as_view(), name="alpaca-snapshots"),
    re_path(r"^[\s\S]*\Z", UnknownPathView.as_view()),
]
