"""The vocabulary of WebSocket order entry (API.md, "WebSocket order entry"): its actions and
limits, the reading of a request's envelope, and the answers. No I/O here; the requests are
carried out in realtime/entry/calls.py and queued per socket in realtime/entry/session.py.

Each answer echoes the request's `id` and carries `status`, the HTTP status REST would have
answered: `ack` (201 placed, 200 already placed with that client_order_id, 202 cancel, replace
and cancel_all) or `error` with REST's code: 400 `invalid` (with `errors` {field: [message]} as
REST's body), 401 `auth_required`, 403 `forbidden`, 404 `not_found`, 409
`duplicate_client_order_id` (with `order_id`), 422 the refusal's code (with the stored rejected
`order`), 429 `rate_limited` or `engine_busy` (with `retry_after` seconds)."""

from dataclasses import dataclass, field

from common.errors import ServiceError
from common.jsontext import dumps

ENTRY_ACTIONS = frozenset(("place", "cancel", "replace", "cancel_all"))
MAX_REQUEST_ID = 64  # characters of a string id; an integer id is any JSON integer of 64 bits
# The socket's own bound on order entry (the user's REST rate limit applies on top): requests
# beyond it, and beyond MAX_PENDING waiting for their answer, are answered 429 `rate_limited` in
# their turn; a socket whose refusals outrun its allowed requests by FLOOD_REFUSALS is closed.
ENTRY_RATE_PER_SECOND = 1000.0
ENTRY_BURST = 1000
MAX_PENDING = 500
MAX_DRAIN = 100  # requests carried out per trip to the database thread (consecutive places: one batch)

STATUS = {"invalid": 400, "refused": 422, "not_found": 404, "forbidden": 403, "throttled": 429, "conflict": 409}
MAX_ID = 2**63 - 1


@dataclass(slots=True)
class Request:
    """One order-entry message of a socket: its envelope checked, its body still raw."""

    action: str
    id: str | int | None
    message: dict
    answer: str | None = None  # set when the request is answered without the database
    extra: dict = field(default_factory=dict)


def request_id(message: dict) -> str | int | None:
    """The request's id as it will be echoed, or None when it has none usable."""
    value = message.get("id")
    if isinstance(value, str) and 0 < len(value) <= MAX_REQUEST_ID:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and -MAX_ID - 1 <= value <= MAX_ID:
        return value
    return None


def read_request(message: dict) -> Request:
    """A Request of an entry message; one without a usable id is answered at once (in its turn)."""
    rid = request_id(message)
    request = Request(action=message["action"], id=rid, message=message)
    if rid is None:
        request.answer = error_answer(None, 400, "bad_message",
                                      f'Give each request an "id": a string of 1 to {MAX_REQUEST_ID} characters or an integer.')
    return request


def order_id_of(message: dict) -> int | None:
    """The `order_id` of a cancel or replace (an integer, or its digits as a string), or None."""
    value = message.get("order_id")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None


def ack_answer(rid, status: int, **payload) -> str:
    return dumps({"type": "ack", "id": rid, "status": status, **payload})


def error_answer(rid, status: int, code: str, message: str, **extra) -> str:
    return dumps({"type": "error", "id": rid, "status": status, "code": code, "message": message, **extra})


def invalid_answer(rid, errors: dict) -> str:
    """400 with REST's {field: [message]} body as `errors`, and its first message as `message`."""
    name, messages = next(iter(errors.items()))
    first = messages[0] if isinstance(messages, list) and messages else messages
    if isinstance(first, dict):  # a nested field's errors
        first = next(iter(first.values()), "")
    return error_answer(rid, 400, "invalid", f"{name}: {first}", errors=errors)


def service_error_answer(rid, error: ServiceError, **extra) -> str:
    """A ServiceError as REST's status and code would say it."""
    status = STATUS.get(error.kind, 422)
    if status == 400:
        return invalid_answer(rid, {error.field or "non_field_errors": [error.detail]})
    if error.retry_after:
        extra["retry_after"] = error.retry_after
    order_id = getattr(error, "order_id", None)
    if order_id is not None:
        extra["order_id"] = order_id
    return error_answer(rid, status, error.code, error.detail, **extra)


def rate_limited_answer(rid, retry_after: float) -> str:
    return error_answer(rid, 429, "rate_limited", "Too many requests; slow down.",
                        retry_after=max(1, int(retry_after + 0.999)))
