import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_is_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.slow
def test_readyz_reports_every_check_ok_with_a_live_engine(client, engine):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {
        "database": {"status": "ok"}, "redis": {"status": "ok"}, "engine": {"status": "ok"}}}


@pytest.mark.slow
def test_readyz_is_503_naming_the_engine_once_it_stops(client, engine):
    engine.kill()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["engine"] == {
        "status": "fail", "error": "1 of 1 engine shard(s) sent no heartbeat in the last 10 s"}
    assert response.json()["checks"]["redis"] == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_when_redis_is_down(client, tmp_path):
    with override_settings(REDIS_URL=f"unix://{tmp_path}/nothing-listens-here.sock"):
        from common.redis import get_redis

        get_redis.cache_clear()
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["redis"]["status"] == "fail"
    assert "ConnectionError" in body["checks"]["redis"]["error"]
    assert body["checks"]["engine"]["status"] == "fail"


@pytest.mark.django_db
def test_metrics_endpoint_speaks_prometheus(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"venue_http_request_seconds" in response.content


def test_metrics_with_a_token_set_answer_only_that_bearer_token(client, settings):
    settings.METRICS_TOKEN = "scrape-me"
    client.get("/healthz")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-too").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert (response.status_code, b"venue_http_request_seconds" in response.content) == (200, True)


def test_metrics_without_a_token_are_closed_where_one_is_required(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_REQUIRE_TOKEN = "", True
    response = client.get("/metrics")
    assert (response.status_code, b"venue_http_request_seconds" in response.content) == (403, False)


@pytest.mark.django_db
def test_home_login_and_admin_pages_render(client):
    assert client.get("/").status_code == 200
    login = client.get("/accounts/login/")
    assert login.status_code == 200 and b"Log in" in login.content
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200
