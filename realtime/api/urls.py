"""Routes of the public market data API, mounted at /api/v1/ by tradeapp.urls."""

from django.urls import path

from realtime.api.views import BookView, CandleListView, InstrumentListView, PublicTradeListView, QuoteListView

urlpatterns = [
    path("instruments/", InstrumentListView.as_view(), name="api-instruments"),
    path("marketdata/quotes/", QuoteListView.as_view(), name="api-quotes"),
    path("marketdata/<str:symbol>/book/", BookView.as_view(), name="api-book"),
    path("marketdata/<str:symbol>/trades/", PublicTradeListView.as_view(), name="api-tape"),
    path("marketdata/<str:symbol>/candles/", CandleListView.as_view(), name="api-candles"),
]
