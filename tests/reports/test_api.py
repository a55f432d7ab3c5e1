"""REST and browser: my statements only (another account's id is 404), downloads, and the CSV
exports with their range checks."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client

from reports.services import statement_build
from tests.reports.conftest import client_of


@pytest.fixture
def statements(history):
    return {name: statement_build(account=history[name], day=history["today"]) for name in ("trader", "seller")}


def test_i_list_and_download_my_statements(history, statements):
    client = client_of(history["trader"])
    body = client.get("/api/v1/statements/").json()
    mine = statements["trader"]
    assert body["count"] == 1
    assert body["results"][0] == {
        "id": mine.pk, "day": history["today"].isoformat(), "opening_cash": "10000.00", "deposits": "50.00",
        "withdrawals": "100.00", "trades_cash": "-450.00", "fees": "0.35", "closing_cash": "9499.65",
        "realized_pl": "83.33", "trade_count": 2, "csv_url": f"/api/v1/statements/{mine.pk}/csv/",
        "pdf_url": f"/api/v1/statements/{mine.pk}/pdf/"}
    answer = client.get(f"/api/v1/statements/{mine.pk}/csv/")
    assert (answer.status_code, answer["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert answer.content.decode() == mine.csv
    assert f'filename="statement-{history["trader"].pk}-{history["today"].isoformat()}.csv"' in answer["Content-Disposition"]
    pdf = client.get(f"/api/v1/statements/{mine.pk}/pdf/")
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")


@pytest.mark.parametrize("suffix", ["", "csv/", "pdf/"])
def test_another_accounts_statement_is_not_found(history, statements, suffix):
    theirs = statements["seller"].pk
    answer = client_of(history["trader"]).get(f"/api/v1/statements/{theirs}/{suffix}")
    assert answer.status_code == 404
    assert b"seller" not in answer.content and b"999.90" not in answer.content


@pytest.mark.parametrize("raw", ["abc", "0", "99999999999999999999", "-1"])
def test_a_bad_statement_id_is_not_found(history, raw):
    assert client_of(history["trader"]).get(f"/api/v1/statements/{raw}/").status_code == 404


def test_anonymous_gets_401(db):
    assert Client().get("/api/v1/statements/").status_code == 401


def test_the_browser_page_lists_mine_and_downloads_only_mine(history, statements):
    browser = Client()
    browser.force_login(history["trader"].user)
    page = browser.get("/reports/")
    assert page.status_code == 200
    assert f'data-statement-id="{statements["trader"].pk}"'.encode() in page.content
    assert f'data-statement-id="{statements["seller"].pk}"'.encode() not in page.content
    assert browser.get(f"/reports/statements/{statements['trader'].pk}.pdf").content[:5] == b"%PDF-"
    assert browser.get(f"/reports/statements/{statements['seller'].pk}.csv").status_code == 404
    assert browser.get(f"/reports/statements/{statements['seller'].pk}.pdf").status_code == 404


def test_export_my_fills_and_orders_for_a_range(history):
    client, today = client_of(history["trader"]), history["today"].isoformat()
    fills = client.get(f"/api/v1/exports/fills/?start={today}&end={today}")
    assert (fills.status_code, fills["Content-Type"]) == (200, "text/csv; charset=utf-8")
    rows = list(csv.reader(io.StringIO(b"".join(fills.streaming_content).decode())))
    assert rows[0] == ["ts", "trade_id", "order_id", "symbol", "side", "qty", "price", "notional", "fee", "liquidity"]
    assert [r[3:] for r in rows[1:]] == [["AAPL", "buy", "10", "100", "1000.00", "0.30", "taker"],
                                         ["AAPL", "sell", "5", "110", "550.00", "0.05", "maker"]]
    orders = client.get(f"/api/v1/exports/orders/?start={today}&end={today}")
    rows = list(csv.reader(io.StringIO(b"".join(orders.streaming_content).decode())))
    assert [(r[4], r[5], r[7], r[10]) for r in rows[1:]] == [("buy", "limit", "10", "filled"),
                                                            ("sell", "limit", "5", "filled")]
    earlier = (history["yesterday"] - timedelta(days=3)).isoformat()
    assert b"".join(client.get(f"/api/v1/exports/fills/?start={earlier}&end={earlier}").streaming_content).count(
        b"\n") == 1  # only the header


@pytest.mark.parametrize(("query", "field", "message"), [
    ("start=2026-03-02&end=2026-03-01", "end", "end must not be before start."),
    ("start=2025-01-01&end=2026-01-02", "end", "A range covers at most 366 days."),
    ("end=2026-03-01", "start", "start is required (YYYY-MM-DD)."),
    ("start=2026-03-01", "end", "end is required (YYYY-MM-DD)."),
    ("start=2026-02-30&end=2026-03-01", "start", "start must be a date as YYYY-MM-DD."),
    ("start=yesterday&end=2026-03-01", "start", "start must be a date as YYYY-MM-DD."),
])
@pytest.mark.parametrize("kind", ["orders", "fills"])
def test_a_bad_range_is_a_400_naming_the_field(history, query, field, message, kind):
    answer = client_of(history["trader"]).get(f"/api/v1/exports/{kind}/?{query}")
    assert (answer.status_code, answer.json()) == (400, {field: [message]})


def test_366_days_is_the_longest_range(history):
    answer = client_of(history["trader"]).get("/api/v1/exports/fills/?start=2025-01-01&end=2026-01-01")
    assert answer.status_code == 200


def test_the_browser_export_shows_a_bad_range_on_the_page(history):
    browser = Client()
    browser.force_login(history["trader"].user)
    page = browser.get("/reports/?export=fills&start=2026-03-02&end=2026-03-01")
    assert page.status_code == 400 and b"end must not be before start." in page.content
    today = history["today"].isoformat()
    answer = browser.get(f"/reports/?export=orders&start={today}&end={today}")
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(answer.streaming_content).count(b"\n") == 3
