"""The UI's pages as Django renders them (no browser): who sees what, and the page config."""

import json
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from tests.factories import make_instrument, make_trader
from ui.selectors import session_opens, session_start

pytestmark = pytest.mark.django_db


def page_config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="ui-config" type="application/json">') + len('<script id="ui-config" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def test_watchlist_is_public_and_offers_the_login(client):
    make_instrument("AAPL", reference="190.00")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="watchlist"' in html and "/accounts/login/" in html and "js/markets.js" in html
    assert 'data-testid="admin-link"' not in html
    config = page_config(response)
    assert config["opens"] == {"AAPL": "190.00"}
    assert config["instruments"] == [{"symbol": "AAPL", "name": "AAPL Inc.", "tick_size": "0.01", "lot_size": "1",
                                      "status": "trading"}]
    assert response.cookies["csrftoken"].value


def test_trade_screen_needs_a_login(client):
    make_instrument("AAPL")
    response = client.get("/trade/AAPL/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/trade/AAPL/"


def test_trade_screen_renders_for_a_trader_and_unknown_symbols_are_404(client):
    make_instrument("AAPL")
    make_trader("carol", cash="100.00")
    client.login(username="carol", password="carol-pass")
    response = client.get("/trade/AAPL/")
    assert response.status_code == 200
    html = response.content.decode()
    for part in ('id="ladder"', 'id="ticket"', 'id="open-orders"', 'id="positions"', 'id="account"', 'id="tape"',
                 'id="chart"', "lightweight-charts.standalone.production.js", "js/trade.js", 'id="conn"'):
        assert part in html, part
    assert page_config(response)["symbol"] == "AAPL"
    assert 'data-testid="admin-link"' not in html
    assert client.get("/trade/NOPE/").status_code == 404


def test_ops_staff_get_the_admin_link_and_traders_do_not(client):
    make_instrument("AAPL")
    User.objects.create_user("opsy", password="opsy-pass", is_staff=True)
    make_trader("dave")
    client.login(username="opsy", password="opsy-pass")
    assert 'data-testid="admin-link"' in client.get("/").content.decode()
    assert 'data-testid="admin-link"' in client.get("/trade/AAPL/").content.decode()
    client.logout()
    client.login(username="dave", password="dave-pass")
    assert 'data-testid="admin-link"' not in client.get("/").content.decode()


def test_logout_is_a_post_from_every_page(client):
    make_trader("erin")
    client.login(username="erin", password="erin-pass")
    html = client.get("/").content.decode()
    assert 'action="/accounts/logout/"' in html and 'method="post"' in html
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_static_assets_and_vendored_chart_licence_are_served(client):
    for path in ("/static/js/trade.js", "/static/js/markets.js", "/static/css/app.css",
                 "/static/vendor/lightweight-charts/lightweight-charts.standalone.production.js",
                 "/static/vendor/lightweight-charts/LICENSE"):
        assert client.get(path).status_code == 200, path


@override_settings(SESSION_CLOSE_UTC="21:00")
def test_session_start_is_the_last_close():
    assert session_start(datetime(2026, 3, 4, 22, 0, tzinfo=UTC)) == datetime(2026, 3, 4, 21, 0, tzinfo=UTC)
    assert session_start(datetime(2026, 3, 4, 20, 59, tzinfo=UTC)) == datetime(2026, 3, 3, 21, 0, tzinfo=UTC)


def test_session_open_is_the_reference_until_the_first_trade():
    aapl = make_instrument("AAPL", reference="190.00")
    bare = make_instrument("ZZZ", reference_price=None)
    assert session_opens(instruments=[aapl, bare]) == {"AAPL": D("190.00"), "ZZZ": None}
