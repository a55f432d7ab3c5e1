"""The normalizer: good input becomes exact ticks, anything else a MalformedTick."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marketdata.feeds.ticks import MalformedTick, Tick, decode_json, make_tick, tick_from_mapping, tick_to_mapping

NOW = datetime(2024, 6, 14, 14, 30, tzinfo=UTC)


def test_a_trade_price_is_kept_exactly():
    tick = make_tick(source="t", symbol=" aapl ", price="190.125", ts="2024-06-14T14:30:00Z")
    assert tick == Tick(symbol="AAPL", price=Decimal("190.125"), ts=NOW, source="t")


def test_a_quote_is_priced_at_its_mid_and_keeps_its_sides():
    tick = make_tick(source="t", symbol="MSFT", bid="420.01", ask="420.04", bid_size=300, ask_size="100", ts=NOW)
    assert tick.price == Decimal("420.025")
    assert (tick.bid, tick.ask, tick.bid_size, tick.ask_size) == (Decimal("420.01"), Decimal("420.04"),
                                                                  Decimal(300), Decimal(100))


def test_json_numbers_become_exact_decimals():
    item = decode_json('{"symbol": "AAPL", "price": 190.1, "ts": 1718375400}')
    tick = tick_from_mapping(item, source="udp")
    assert tick.price == Decimal("190.1")
    assert tick.ts == NOW


@pytest.mark.parametrize("ts, expected", [
    ("2024-06-14T14:30:00.123456789Z", datetime(2024, 6, 14, 14, 30, 0, 123456, tzinfo=UTC)),  # nanoseconds
    ("2024-06-14T16:30:00+02:00", NOW),
    ("2024-06-14 14:30:00", NOW),  # naive: UTC
    (1718375400, NOW),  # epoch seconds
    ("1718375400000", NOW),  # milliseconds
    (Decimal("1718375400000000000"), NOW),  # nanoseconds
])
def test_timestamps(ts, expected):
    assert make_tick(source="t", symbol="AAPL", price="1", ts=ts).ts == expected


def test_a_missing_timestamp_is_now():
    assert make_tick(source="t", symbol="AAPL", price="1", now=NOW).ts == NOW


def test_a_zero_side_counts_as_absent_and_the_trade_price_still_prices_it():
    tick = make_tick(source="t", symbol="AAPL", price="10", bid=0, ask="10.01")
    assert tick.bid is None and tick.price == Decimal("10")


def test_to_mapping_round_trips():
    tick = make_tick(source="t", symbol="AAPL", bid="1.10", ask="1.20", ts=NOW)
    assert tick_from_mapping(tick_to_mapping(tick), source="t") == tick


@pytest.mark.parametrize("fields, reason", [
    ({"symbol": "AAPL"}, "no price"),
    ({"symbol": "AAPL", "bid": "1"}, "no price"),
    ({"symbol": "AAPL", "bid": "0", "ask": "0"}, "no price"),
    ({"symbol": "AAPL", "price": "abc"}, "not a number"),
    ({"symbol": "AAPL", "price": "-1"}, "positive"),
    ({"symbol": "AAPL", "price": "0"}, "positive"),
    ({"symbol": "AAPL", "price": "NaN"}, "finite"),
    ({"symbol": "AAPL", "price": "Infinity"}, "finite"),
    ({"symbol": "AAPL", "price": "1e30"}, "large"),
    ({"symbol": "AAPL", "price": True}, "number"),
    ({"symbol": "AAPL", "price": [1]}, "number"),
    ({"symbol": "AAPL", "bid": "2", "ask": "1"}, "crossed"),
    ({"symbol": "", "price": "1"}, "symbol"),
    ({"symbol": "NOT A SYMBOL", "price": "1"}, "symbol"),
    ({"symbol": "X" * 17, "price": "1"}, "symbol"),
    ({"symbol": 42, "price": "1"}, "symbol"),
    ({"symbol": "AAPL", "price": "1", "ts": "yesterday"}, "timestamp"),
    ({"symbol": "AAPL", "price": "1", "ts": -5}, "timestamp"),
    ({"symbol": "AAPL", "price": "1", "ts": 10**30}, "timestamp"),
    ({"symbol": "AAPL", "price": "1", "ts": {"a": 1}}, "timestamp"),
])
def test_malformed_values_are_refused_with_a_reason(fields, reason):
    with pytest.raises(MalformedTick, match=reason):
        make_tick(source="t", **fields)


@pytest.mark.parametrize("item", [None, 42, "AAPL", ["AAPL", 1], {"price": "1"}])
def test_malformed_shapes_are_refused(item):
    with pytest.raises(MalformedTick):
        tick_from_mapping(item, source="t")


@pytest.mark.parametrize("payload", [b"\xff\xfe", b"not json", b'{"symbol": ', "[NaN]", "[" * 100_000])
def test_undecodable_payloads_are_refused(payload):
    with pytest.raises(MalformedTick):
        decode_json(payload)
