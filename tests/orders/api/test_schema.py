"""The OpenAPI document and its Swagger UI."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_and_lists_the_api():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = set(document["paths"])
    assert {"/api/v1/auth/token/", "/api/v1/instruments/", "/api/v1/account/", "/api/v1/positions/",
            "/api/v1/orders/", "/api/v1/orders/batch/", "/api/v1/orders/{order_id}/",
            "/api/v1/orders/by-client-id/{client_order_id}/", "/api/v1/trades/",
            "/api/v1/marketdata/{symbol}/book/", "/api/v1/marketdata/{symbol}/trades/",
            "/api/v1/marketdata/quotes/"} <= paths
    order = document["components"]["schemas"]["Order"]["properties"]
    assert order["qty"] == {"type": "string", "format": "decimal", "readOnly": True}


def test_the_yaml_schema_is_the_default():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_the_swagger_ui_page_renders():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert b'<div id="swagger-ui">' in response.content
    # Its script is a file of its own (no inline script under the Content-Security-Policy).
    script = APIClient().get("/api/docs/?script=")
    assert script.status_code == 200 and b"/api/schema/" in script.content
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # Its assets come from the venue's own static files, never from a CDN.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in response.content
    assert b"cdn.jsdelivr.net" not in response.content and b"unpkg.com" not in response.content


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")
