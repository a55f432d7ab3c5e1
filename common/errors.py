"""The one domain exception of the venue. Each protocol maps it to its answers in one place:
REST in orders.api.errors, the WebSocket in realtime.consumers (and later FIX and the Alpaca
surface in their gateways)."""


class ServiceError(Exception):
    """A request the venue will not carry out.

    kind: "invalid" (the request is malformed: REST 400 {field: [message]}), "refused" (valid,
    but a rule refuses it: 422 {code, detail}), "not_found" (no such thing of the caller's: 404),
    "forbidden" (the caller's credentials do not allow it: 403 {code, detail}), "throttled" (too
    many attempts: 429 {code, detail} with Retry-After of `retry_after` seconds) or "conflict" (it
    contradicts what is stored, such as a client_order_id reused for another order: 409 {code,
    detail, order_id}, `order_id` set on the error when there is one).
    """

    def __init__(self, code: str, detail: str, *, kind: str = "refused", field: str | None = None,
                 retry_after: int | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.kind = kind
        self.field = field
        self.retry_after = retry_after


def not_found(what: str = "Order") -> ServiceError:
    return ServiceError("not_found", f"{what} not found.", kind="not_found")


def invalid(field: str, message: str) -> ServiceError:
    return ServiceError("invalid", message, kind="invalid", field=field)


def forbidden(detail: str) -> ServiceError:
    return ServiceError("forbidden", detail, kind="forbidden")


def throttled(detail: str, *, retry_after: int) -> ServiceError:
    return ServiceError("rate_limited", detail, kind="throttled", retry_after=max(1, int(retry_after)))
