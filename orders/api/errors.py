"""The one place where domain errors become HTTP answers (REST_FRAMEWORK.EXCEPTION_HANDLER).

ServiceError kinds: "invalid" -> 400 {field: [message]}, "refused" -> 422 {code, detail},
"not_found" -> 404 {detail}, "forbidden" -> 403 {code, detail}, "throttled" -> 429 {code, detail}
with Retry-After, "conflict" -> 409 {code, detail, order_id?}. Redis or the database away: 503
{code: redis_unavailable|database_unavailable, detail} with Retry-After (common.outages), never a 500.
"""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.errors import ServiceError
from common.logging import get_logger
from common.outages import DETAILS, RETRY_AFTER_SECONDS, outage_code, outage_logged

log = get_logger(__name__)

SERVICE_STATUS = {
    "invalid": status.HTTP_400_BAD_REQUEST,
    "refused": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "not_found": status.HTTP_404_NOT_FOUND,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "throttled": status.HTTP_429_TOO_MANY_REQUESTS,
    "conflict": status.HTTP_409_CONFLICT,
}


def service_error_answer(exc: ServiceError) -> tuple[int, dict]:
    """(HTTP status, body) for a ServiceError; the batch endpoint uses it per item."""
    code = SERVICE_STATUS.get(exc.kind, status.HTTP_422_UNPROCESSABLE_ENTITY)
    if code == status.HTTP_400_BAD_REQUEST:
        return code, {exc.field or "non_field_errors": [exc.detail]}
    if code == status.HTTP_404_NOT_FOUND:
        return code, {"detail": exc.detail}
    body = {"code": exc.code, "detail": exc.detail}
    if getattr(exc, "order_id", None) is not None:
        body["order_id"] = exc.order_id
    return code, body


def api_exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        code, body = service_error_answer(exc)
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return Response(body, status=code, headers=headers)
    code = outage_code(exc)
    if code is not None:
        outage_logged(log, exc, view=context.get("view").__class__.__name__)
        response = Response({"detail": DETAILS[code], "code": code}, status=status.HTTP_503_SERVICE_UNAVAILABLE,
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        response._has_been_logged = True  # said once per interval above, not by django.request per call
        return response
    return exception_handler(exc, context)
