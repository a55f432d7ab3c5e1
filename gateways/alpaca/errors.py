"""The one place where errors become Alpaca's answers: `{"code": <8 digits>, "message"}` with
Alpaca's HTTP status (docs/alpaca.md lists them). Never a 500 for what a client sent."""

from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.response import Response

from common.errors import ServiceError
from common.logging import get_logger

log = get_logger(__name__)

BAD_REQUEST = 40010000  # malformed body (not JSON)
INVALID = 40010001  # a field Alpaca would refuse (422)
UNAUTHORIZED = 40110000
FORBIDDEN = 40310000  # a read key trading; buying power or quantity short (as Alpaca answers both)
NOT_FOUND = 40410000
UNPROCESSABLE = 42210000  # valid, but a venue rule refuses it
RATE_LIMITED = 42910000
UNAVAILABLE = 50310000

# Refusals Alpaca answers with 403 rather than 422.
FORBIDDEN_REFUSALS = {"insufficient_buying_power", "insufficient_position", "account_frozen"}


class AlpacaError(Exception):
    def __init__(self, status: int, code: int, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def invalid(message: str) -> AlpacaError:
    return AlpacaError(422, INVALID, message)


def not_found(message: str) -> AlpacaError:
    return AlpacaError(404, NOT_FOUND, message)


def service_error_status(error: ServiceError) -> tuple[int, int, str]:
    """(HTTP status, Alpaca code, message) of a domain error."""
    message = error.detail if error.field in (None, "non_field_errors") else f"{error.field}: {error.detail}"
    if error.kind == "invalid":
        return 422, INVALID, message
    if error.kind == "not_found":
        return 404, NOT_FOUND, message
    if error.kind == "forbidden":
        return 403, FORBIDDEN, message
    if error.kind == "throttled":
        return 429, RATE_LIMITED, message
    if error.code in FORBIDDEN_REFUSALS:
        return 403, FORBIDDEN, message
    return 422, UNPROCESSABLE, message


def error_body(code: int, message: str, **extra) -> dict:
    return {"code": code, "message": message, **extra}


def alpaca_exception_handler(exc, context):
    """The views' exception handler (AlpacaView.get_exception_handler)."""
    headers = None
    if isinstance(exc, AlpacaError):
        status, body = exc.status, error_body(exc.code, exc.message, **exc.extra)
    elif isinstance(exc, ServiceError):
        status, code, message = service_error_status(exc)
        body = error_body(code, message)
        if exc.retry_after:
            headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, exceptions.Throttled):
        status, body = 429, error_body(RATE_LIMITED, "rate limit exceeded")
        if exc.wait:
            headers = {"Retry-After": str(max(1, int(exc.wait + 0.999)))}
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        status, body = 401, error_body(UNAUTHORIZED, str(exc.detail))
        headers = {"WWW-Authenticate": "APCA-API-KEY-ID"}
    elif isinstance(exc, exceptions.PermissionDenied):
        status, body = 403, error_body(FORBIDDEN, str(exc.detail))
    elif isinstance(exc, exceptions.ParseError):
        status, body = 400, error_body(BAD_REQUEST, str(exc.detail))
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        status, body = 415, error_body(BAD_REQUEST, str(exc.detail))
    elif isinstance(exc, exceptions.MethodNotAllowed):
        status, body = 405, error_body(40510000, str(exc.detail))
    elif isinstance(exc, exceptions.NotFound):
        status, body = 404, error_body(NOT_FOUND, "endpoint not found")
    elif isinstance(exc, exceptions.APIException):
        status, body = exc.status_code, error_body(exc.status_code * 100000, str(exc.detail))
    elif isinstance(exc, RedisError):
        log.warning("redis unavailable", exc_info=True)
        status, body, headers = 503, error_body(UNAVAILABLE, "temporarily unavailable"), {"Retry-After": "1"}
    else:
        return None
    return Response(body, status=status, headers=headers)
