"""Routes of the analytics and alerts API, mounted at /api/v1/ by tradeapp.urls."""

from django.urls import path

from analytics.api.views import AlertDetailView, AlertListView, AlertTriggerListView, AnalyticsView

urlpatterns = [
    path("marketdata/<str:symbol>/analytics/", AnalyticsView.as_view(), name="api-analytics"),
    path("alerts/", AlertListView.as_view(), name="api-alerts"),
    path("alerts/triggers/", AlertTriggerListView.as_view(), name="api-alert-triggers"),
    path("alerts/<str:alert_id>/", AlertDetailView.as_view(), name="api-alert"),
]
