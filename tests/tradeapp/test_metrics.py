"""/metrics carries the venue's own figures, summed over every process: order entry and HTTP from the
web process, the engine's from a real engine process, the WebSocket hub's, the feeds' and Celery's."""

import re
from decimal import Decimal as D

import pytest
from django.test import Client

from common.errors import ServiceError
from marketdata.feeds.base import Feed
from orders.models import Order
from orders.services import order_place
from realtime.hub import Connection, Hub
from tests.factories import make_instrument, make_trader
from tests.processes import wait_for


def scrape() -> str:
    return Client().get("/metrics").content.decode()


def value(text: str, name: str, **labels) -> float:
    """The sample `name{labels}` of the exposition (0 when absent)."""
    pattern = re.escape(name) + r"\{([^}]*)\} ([0-9.e+-]+)" if labels else re.escape(name) + r" ([0-9.e+-]+)"
    for match in re.finditer(pattern, text):
        if not labels:
            return float(match.group(1))
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(2))
    return 0.0


@pytest.mark.django_db
def test_order_entry_and_http_figures():
    aapl = make_instrument("AAPL")
    trader = make_trader("carol", cash="1000.00")
    before = scrape()
    order_place(account=trader, symbol="AAPL", side="buy", type="limit", qty=D("1"), limit_price=D("100.00"))
    with pytest.raises(ServiceError):
        order_place(account=trader, symbol="AAPL", side="buy", type="limit", qty=D("100"), limit_price=D("100.00"))
    Client().get("/healthz")
    after = scrape()
    assert value(after, "venue_orders_accepted_total", symbol="AAPL") - value(before, "venue_orders_accepted_total",
                                                                              symbol="AAPL") == 1
    refused = {"code": "insufficient_buying_power"}
    assert value(after, "venue_orders_refused_total", **refused) - value(before, "venue_orders_refused_total",
                                                                         **refused) == 1
    health = {"view": "healthz", "method": "GET", "status": "2xx"}
    assert value(after, "venue_http_request_seconds_count", **health) >= value(
        before, "venue_http_request_seconds_count", **health) + 1


@pytest.mark.slow
def test_the_engines_figures_come_from_the_engine_process(engine):
    aapl = make_instrument("AAPL")
    seller = make_trader("seller", positions={aapl: "5"})
    buyer = make_trader("buyer", cash="1000.00")
    before = scrape()
    order_place(account=seller, symbol="AAPL", side="sell", type="limit", qty=D("5"), limit_price=D("100.00"))
    order_place(account=buyer, symbol="AAPL", side="buy", type="limit", qty=D("5"), limit_price=D("100.00"))
    wait_for(lambda: not Order.objects.filter(status="accepted").exists(), 20, "orders settled")
    shard = {"shard": "0/1"}
    wait_for(lambda: value(scrape(), "venue_engine_commands_total", kind="new", **shard)
             - value(before, "venue_engine_commands_total", kind="new", **shard) == 2, 10, "engine counters")
    after = scrape()
    assert value(after, "venue_engine_lag_seconds_count", **shard) - value(before, "venue_engine_lag_seconds_count",
                                                                           **shard) == 2
    assert value(after, "venue_engine_batch_settle_seconds_count", **shard) > value(
        before, "venue_engine_batch_settle_seconds_count", **shard)
    assert 0 <= value(after, "venue_engine_heartbeat_age_seconds", **shard) < 10


@pytest.mark.django_db
def test_the_hub_flushes_its_socket_figures():
    hub = Hub()
    hub.connections.update({Connection(hub, None, max_queue=10), Connection(hub, None, max_queue=10)})
    before = scrape()
    hub.counts.update(sent=7, conflated=2, dropped=3, resyncs=1)
    hub.flush_metrics()
    after = scrape()
    for name, delta in [("venue_ws_messages_sent_total", 7), ("venue_ws_messages_conflated_total", 2),
                        ("venue_ws_book_deltas_dropped_total", 3), ("venue_ws_resyncs_total", 1)]:
        assert value(after, name) - value(before, name) == delta, name
    assert value(after, "venue_ws_connections") == 2 and hub.counts["sent"] == 0


@pytest.mark.django_db
def test_feed_figures():
    class Quiet(Feed):
        kind = "quiet"

    feed = Quiet(emit=lambda tick: None, name="quiet-test")
    before = scrape()
    feed.malformed(b"x", "garbage")
    after = scrape()
    assert value(after, "venue_feed_malformed_inputs_total", feed="quiet-test") - value(
        before, "venue_feed_malformed_inputs_total", feed="quiet-test") == 1
