"""The trade screen's account panel carries the risk lines that static/js/risk.js fills from
GET account/risk/, and the page links to the reports page."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_account_panel_has_the_risk_lines(aapl):
    client = Client()
    client.force_login(User.objects.create_user("trader"))
    html = client.get("/trade/AAPL/").content.decode()
    for field in ("today_pl", "gross_exposure", "net_exposure", "open_order_notional"):
        assert f'data-field="{field}"' in html
    assert 'id="risk-frozen"' in html and 'id="risk-limits"' in html and 'href="/reports/"' in html
