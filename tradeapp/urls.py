from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from orders.api.views.common import ApiNotFoundView
from tradeapp import views
from ui import views as ui_views

urlpatterns = [
    path("", views.home, name="home"),
    path("trade/<str:symbol>/", ui_views.trade, name="trade"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("orders.api.urls")),
    path("api/v1/", include("realtime.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^api/[\s\S]*\Z", ApiNotFoundView.as_view()),  # any other /api/ path: JSON 404
]

if settings.BENCHMARK_ENDPOINTS:
    # Only in benchmark runs, where the app is installed (settings).
    from bench.endpoint.views import BareRowView

    urlpatterns.append(path("bench/bare/", BareRowView.as_view()))
