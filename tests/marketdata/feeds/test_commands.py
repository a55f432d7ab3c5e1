"""`run_feed` and `send_ticks` as real processes against the test database and Redis."""

import json
import socket
import sys
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from common.redis import get_redis
from marketdata.feeds.reference import reference_key
from marketdata.feeds.runner import feed_stats_key
from marketdata.models import Instrument
from orders.management.commands.seed_demo import INSTRUMENTS
from tests.factories import make_instrument
from tests.processes import running, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reference(symbol: str) -> dict | None:
    raw = get_redis().get(reference_key(symbol))
    return json.loads(raw) if raw else None


def db_reference(symbol: str) -> Decimal | None:
    return Instrument.objects.get(symbol=symbol).reference_price


@pytest.fixture
def clean_references():
    redis = get_redis()
    redis.delete(feed_stats_key(), *[reference_key(s) for s, _, _ in INSTRUMENTS])
    yield
    redis.delete(feed_stats_key(), *[reference_key(s) for s, _, _ in INSTRUMENTS])


def test_udp_ticks_sent_with_send_ticks_become_reference_prices(clean_references):
    make_instrument("AAPL", reference="190.00")
    make_instrument("MSFT", reference="420.00")
    port = free_udp_port()
    with running([sys.executable, "manage.py", "run_feed", "--feed", "udp", "--udp-port", str(port)],
                 log_name="feed-udp") as feed:
        def sent_and_stored() -> bool:
            call_command("send_ticks", "AAPL=191.23", "msft=419.5", "--port", str(port), stdout=StringIO())
            return (reference("AAPL") or {}).get("price") == "191.23"

        wait_for(sent_and_stored, 30, "the AAPL reference from a datagram", interval=0.3)
        assert reference("MSFT")["price"] == "419.50"
        assert reference("MSFT")["source"] == "udp"
        wait_for(lambda: db_reference("AAPL") == Decimal("191.23"), 5, "the database reference price")
        # garbage does not stop it; a walk of several rounds keeps coming
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for junk in (b"junk", b"\xff", b'{"symbol": "AAPL", "price": "-1"}'):
                sock.sendto(junk, ("127.0.0.1", port))
        call_command("send_ticks", "--port", str(port), "--count", "3", "--interval", "0", "--seed", "1",
                     stdout=StringIO())
        wait_for(lambda: (json.loads(get_redis().get(feed_stats_key()) or "{}").get("feeds", {}).get("udp", {})
                          .get("malformed", 0)) >= 3, 10, "malformed datagrams counted")
        assert feed.poll() is None, feed.log_path.read_text()[-2000:]
    assert feed.returncode == 0, feed.log_path.read_text()[-2000:]


def test_replay_of_the_sample_without_loop_runs_to_its_end_and_exits(clean_references):
    for symbol, _, price in INSTRUMENTS:
        make_instrument(symbol, reference=price)
    with running([sys.executable, "manage.py", "run_feed", "--feed", "replay", "--speed", "0", "--no-loop"],
                 log_name="feed-replay") as feed:
        # Room for the bounded shutdown steps (marketdata/feeds/runner.py): should one ever wait out its
        # limit, the process still exits and its log names the step.
        try:
            wait_for(lambda: feed.poll() is not None, 60, "the replay to finish")
        except AssertionError as timeout:
            raise AssertionError(f"{timeout}; its log ends:\n{feed.log_path.read_text()[-2000:]}") from None
    assert feed.returncode == 0, feed.log_path.read_text()[-2000:]
    # the last row of each symbol in marketdata/data/sample_ticks.csv
    last = {"AAPL": "190.36", "MSFT": "422.82", "GOOGL": "168.90", "AAL": "14.01", "TSLA": "251.30",
            "SPY": "548.31"}  # GOOGL's is a quote: mid 168.895, rounded half-even to the tick
    assert {s: reference(s)["price"] for s in last} == last
    assert {s: db_reference(s) for s in last} == {s: Decimal(p) for s, p in last.items()}


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError):
        call_command("run_feed", "--feed", "carrier-pigeon")
    with pytest.raises(CommandError, match="SYMBOL=PRICE"):
        call_command("send_ticks", "AAPL", "--port", "9")
    with pytest.raises(CommandError):
        call_command("send_ticks", "--count", "0", "AAPL=1")
