"""Routes of the order API, mounted at /api/v1/ by tradeapp.urls."""

from django.urls import path

from orders.api.views.account import AccountRiskView, AccountView, PositionListView
from orders.api.views.api_keys import ApiKeyDetailView, ApiKeyListView
from orders.api.views.auth import TokenView
from orders.api.views.batch import OrderBatchView
from orders.api.views.orders import OrderByClientIdView, OrderDetailView, OrderListView
from orders.api.views.trades import TradeListView
from orders.api.views.updates import OrderUpdatesView

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("api-keys/", ApiKeyListView.as_view(), name="api-keys"),
    path("api-keys/<str:key_id>/", ApiKeyDetailView.as_view(), name="api-key"),
    path("account/", AccountView.as_view(), name="api-account"),
    path("account/risk/", AccountRiskView.as_view(), name="api-account-risk"),
    path("positions/", PositionListView.as_view(), name="api-positions"),
    path("orders/", OrderListView.as_view(), name="api-orders"),
    path("orders/batch/", OrderBatchView.as_view(), name="api-orders-batch"),
    path("orders/updates/", OrderUpdatesView.as_view(), name="api-orders-updates"),
    # A client order id may hold any printable character, "/" included.
    path("orders/by-client-id/<path:client_order_id>/", OrderByClientIdView.as_view(), name="api-order-by-client-id"),
    # Any text, so a bad id is the API's JSON 404 rather than the site's HTML one.
    path("orders/<str:order_id>/", OrderDetailView.as_view(), name="api-order"),
    path("trades/", TradeListView.as_view(), name="api-trades"),
]
