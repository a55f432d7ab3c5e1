"""Request latency by view, for /metrics (common.metrics.HTTP_LATENCY); and the answer to an
outage of Redis or the database outside DRF's views (pages, health, admin): 503
{"detail", "code"} with Retry-After, never a 500 (DRF's views map it in orders.api.errors)."""

import sys
import time

from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import JsonResponse

from common.logging import get_logger
from common.metrics import HTTP_LATENCY
from common.outages import DETAILS, RETRY_AFTER_SECONDS, outage_code, outage_logged

log = get_logger(__name__)


def outage_response(code: str) -> JsonResponse:
    response = JsonResponse({"detail": DETAILS[code], "code": code}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response._has_been_logged = True  # said once per interval by outage_logged, not by django.request per call
    return response


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match is not None else "unresolved"
        HTTP_LATENCY.labels(view, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started)
        return response


class OutageMiddleware:
    """First in MIDDLEWARE but for the metrics. A view's outage is answered by process_exception;
    one raised by another middleware (sessions saving, say) has already become Django's 500 when
    it gets here: the got_request_exception receiver marked the request, and the 500 is replaced."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        code = getattr(request, "outage_code", None)
        if response.status_code == 500 and code is not None:
            return outage_response(code)
        return response

    def process_exception(self, request, exception):
        code = outage_code(exception)
        if code is None:
            return None
        outage_logged(log, exception, path=request.path)
        return outage_response(code)


@receiver(got_request_exception)
def _mark_outage(sender, request=None, **kwargs):
    # Sent while the exception is being handled (django.core.handlers.exception).
    error = sys.exc_info()[1]
    if request is not None and error is not None and outage_code(error) is not None:
        request.outage_code = outage_code(error)
