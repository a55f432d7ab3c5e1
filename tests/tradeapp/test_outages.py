"""Redis or the database away: every HTTP answer is 503 {"detail", "code"} with Retry-After,
never a 500, and a process says so once per interval (common/outages.py, the DRF handler,
tradeapp.middleware.OutageMiddleware). Real drivers against an address where nothing listens."""

import logging
from contextlib import contextmanager

import pytest
import redis
from django.db import OperationalError, connection
from django.test import override_settings
from rest_framework.test import APIClient

from common import outages
from common.logging import get_logger
from common.redis import get_redis
from tests.orders.api.fixtures import alice, aapl  # noqa: F401 (fixtures)
from tests.processes import free_port

pytestmark = pytest.mark.django_db


@contextmanager
def redis_away(tmp_path):
    with override_settings(REDIS_URL=f"unix://{tmp_path}/nothing-listens-here.sock"):
        get_redis.cache_clear()
        try:
            yield
        finally:
            get_redis.cache_clear()


@contextmanager
def database_away(tmp_path):
    """The connection's next query opens a new connection where no database is."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "no-such-dir" / "db.sqlite3")
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def assert_outage(response, code: str) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    assert response.json() == {"detail": outages.DETAILS[code], "code": code}


def test_outage_codes_tell_an_outage_from_a_bug():
    assert outages.outage_code(redis.ConnectionError("gone")) == "redis_unavailable"
    assert outages.outage_code(redis.TimeoutError("slow")) == "redis_unavailable"
    assert outages.outage_code(OperationalError("server closed the connection")) == "database_unavailable"
    assert outages.outage_code(redis.ResponseError("WRONGTYPE")) is None
    assert outages.outage_code(ValueError("bug")) is None


def test_an_outage_is_logged_once_per_interval(caplog, monkeypatch):
    monkeypatch.setattr(outages, "_last_logged", {})
    monkeypatch.setattr(outages, "_suppressed", {})
    log = get_logger("tests.outages")
    with caplog.at_level(logging.WARNING, logger="tests.outages"):
        assert [outages.outage_logged(log, redis.ConnectionError("gone")) for _ in range(50)] == [True] * 50
        assert not outages.outage_logged(log, ValueError("bug"))
    assert [r.getMessage().count("redis unavailable") for r in caplog.records] == [1]
    monkeypatch.setattr(outages, "LOG_INTERVAL", 0.0)
    with caplog.at_level(logging.WARNING, logger="tests.outages"):
        outages.outage_logged(log, redis.ConnectionError("gone"))
    assert "'failures_since_last_log': 49" in caplog.records[-1].getMessage() or \
        "failures_since_last_log" in str(caplog.records[-1].msg)


def test_redis_away_api_and_pages_answer_503_never_500(alice, tmp_path):  # noqa: F811
    with redis_away(tmp_path):
        assert_outage(APIClient().get("/api/v1/marketdata/AAPL/book/"), "redis_unavailable")
        placed = alice.place(side="buy", qty="1", limit_price="100")
        # The order is committed before the 201; its bus append waits for the resubmit task.
        assert placed.status_code in (201, 503), placed.content[:300]
        assert APIClient().get("/").status_code in (200, 503)


def test_database_away_api_and_pages_answer_503_never_500(transactional_db, alice, tmp_path):  # noqa: F811
    with database_away(tmp_path):
        assert_outage(alice.place(side="buy", qty="1", limit_price="100"), "database_unavailable")
        assert_outage(alice.client.get("/api/v1/orders/"), "database_unavailable")
        assert_outage(APIClient().get("/"), "database_unavailable")
        assert_outage(APIClient().get("/api/v1/marketdata/AAPL/trades/"), "database_unavailable")
