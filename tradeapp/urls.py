from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from orders.api.views.common import ApiNotFoundView
from tradeapp import views
from ui import views as ui_views
from ui.forms import AdminLockoutAuthenticationForm, LockoutAuthenticationForm

admin.site.login_form = AdminLockoutAuthenticationForm

urlpatterns = [
    path("", views.home, name="home"),
    path("trade/<str:symbol>/", ui_views.trade, name="trade"),
    path("settings/api-keys/", ui_views.api_keys, name="api-keys"),
    path("reports/", include("reports.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/venue/", include("orders.admin.venue")),  # the kill switch, the audit, resume all
    path("admin/reports/", include("reports.admin_views")),  # the venue's daily report and its 30 days
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(authentication_form=LockoutAuthenticationForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("orders.api.urls")),
    path("api/v1/", include("realtime.api.urls")),
    path("api/v1/", include("analytics.api.urls")),
    path("api/v1/", include("reports.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's page carries one inline <style> block.
    path("api/docs/", csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
         name="api-docs"),
    re_path(r"^api/[\s\S]*\Z", ApiNotFoundView.as_view()),  # any other /api/ path: JSON 404
    path("v2/", include("gateways.alpaca.urls")),  # the Alpaca-compatible API (docs/alpaca.md)
]

if settings.BENCHMARK_ENDPOINTS:
    # Only in benchmark runs, where the app is installed (settings).
    from bench.endpoint.views import BareRowView

    urlpatterns.append(path("bench/bare/", BareRowView.as_view()))
