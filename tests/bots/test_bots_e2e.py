"""`make run`'s market: the demo data, the real engine, `run_feed` and `run_bots` as real
processes. Within a minute every demo symbol has bot quotes on both sides, resting in the
engine's book; the takers trade against them; stopping the bots cancels their quotes."""

import json
import sys
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from common.redis import get_redis
from marketdata.feeds.reference import reference_key
from marketdata.feeds.runner import feed_stats_key
from marketdata.models import Instrument
from orders.management.commands.seed_demo import INSTRUMENTS
from orders.models import Order
from realtime.selectors import book_snapshot
from tests.processes import running, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SYMBOLS = [symbol for symbol, _, _ in INSTRUMENTS]


def unquoted() -> list[str]:
    """The demo symbols that lack a resting bot bid or ask, in the database or in the book."""
    missing = []
    for symbol in SYMBOLS:
        sides = set(Order.objects.filter(account__user__username="bot-mm", instrument__symbol=symbol,
                                         status=Order.Status.NEW).values_list("side", flat=True))
        book = book_snapshot(symbol=symbol)
        if sides != {"buy", "sell"} or not book["bids"] or not book["asks"]:
            missing.append(symbol)
    return missing


def test_bots_keep_both_sides_of_every_demo_symbol_quoted(engine):
    call_command("seed_demo", stdout=StringIO())
    seeded = dict(Instrument.objects.values_list("symbol", "reference_price"))
    with running([sys.executable, "manage.py", "run_feed", "--feed", "simulated", "--interval", "0.25",
                  "--volatility-bps", "10"], log_name="feed") as feed:
        with running([sys.executable, "manage.py", "run_bots", "--reload-interval", "1"], log_name="bots") as bots:
            wait_for(lambda: not unquoted(), 60, "bot quotes on both sides of every demo symbol", interval=0.5)
            for symbol in SYMBOLS:
                book = book_snapshot(symbol=symbol)
                assert Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0]), book  # never crossed
            # the feed moves the references, in Redis and in the database (the price band follows it)
            assert all(get_redis().get(reference_key(s)) for s in SYMBOLS)
            wait_for(lambda: dict(Instrument.objects.values_list("symbol", "reference_price")) != seeded, 10,
                     "reference prices to move in the database")
            # the noise taker trades against the market maker
            wait_for(lambda: Order.objects.filter(account__user__username="bot-taker",
                                                  status=Order.Status.FILLED).exists(), 30, "a taker fill")
            assert bots.poll() is None, bots.log_path.read_text()[-3000:]
            assert feed.poll() is None, feed.log_path.read_text()[-3000:]
        assert bots.returncode == 0, bots.log_path.read_text()[-3000:]
        # stopped, the market maker asked to cancel every quote it had (the engine confirms them)
        assert not Order.objects.filter(account__user__username="bot-mm", status__in=[
            Order.Status.ACCEPTED, Order.Status.NEW, Order.Status.PARTIALLY_FILLED]).exists()
    log = bots.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert "Traceback" not in feed.log_path.read_text()
    stats = json.loads(get_redis().get(feed_stats_key()))
    assert stats["feeds"]["simulated"]["malformed"] == 0
