import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from common.metrics import metrics_render
from tradeapp.health import engine_heartbeat_ages, health_report
from ui import views as ui_views


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text; the venue's internals are not public (see METRICS_TOKEN)."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(sent.encode(), token.encode()):
            response = HttpResponse("A valid metrics token is required.\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif settings.METRICS_REQUIRE_TOKEN:
        return HttpResponse("Set METRICS_TOKEN to serve metrics.\n", status=403, content_type="text/plain")
    return HttpResponse(metrics_render(scrape_time=engine_heartbeat_ages), content_type=CONTENT_TYPE_LATEST)


def home(request: HttpRequest) -> HttpResponse:
    """The landing page is the watchlist of the browser UI."""
    return ui_views.markets(request)
