class ServiceError(Exception):
    """The one domain exception. Views map it to HTTP in one place (orders.api.errors).

    kind: "refused" -> 422 {code, detail}; "not_found" -> 404; "invalid" -> 400.
    """

    def __init__(self, code: str, detail: str, *, kind: str = "refused", field: str | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.kind = kind
        self.field = field


def not_found(what: str = "Order") -> ServiceError:
    return ServiceError("not_found", f"{what} not found.", kind="not_found")


def invalid(field: str, message: str) -> ServiceError:
    return ServiceError("invalid", message, kind="invalid", field=field)
