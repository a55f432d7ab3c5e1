"""A trader's REST client over a real socket (http.client), for end-to-end tests against a
running server (pytest-django's `live_server`, or a server process)."""

import http.client
import json
from decimal import Decimal
from urllib.parse import urlsplit

from rest_framework.authtoken.models import Token


class ApiClient:
    def __init__(self, base_url: str, account):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.token = Token.objects.get_or_create(user=account.user)[0].key

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        """(status, JSON answer or None); Decimals in `body` are sent as strings, as API.md wants."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
            payload = None if body is None else json.dumps(body, default=lambda v: str(v) if isinstance(v, Decimal) else v)
            conn.request(method, "/api/v1/" + path.lstrip("/"), body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
        finally:
            conn.close()
