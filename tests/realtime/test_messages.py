"""The messages of the real-time channels: each decodes to what was encoded, the book's seq slot
makes the same text as a plain encode, and garbage is refused as MalformedMessage."""

import json

import pytest

from realtime.messages import (
    BookDelta,
    BookSnapshot,
    MalformedMessage,
    MarketData,
    PrivateMessages,
    ReferenceQuote,
    decode,
)

QUOTE = {"bid": "1.00", "bid_qty": "5", "ask": None, "ask_qty": None, "last": "1.00", "ts": "t"}
TRADE = {"trade_id": 9, "price": "1.00", "qty": "5", "aggressor_side": "sell", "ts": "t"}


@pytest.mark.parametrize("message", [
    MarketData(symbol="AAPL", ts="t", quote=QUOTE, trades=[TRADE]),
    MarketData(symbol="AAPL", ts="t", book=BookDelta(seq=3, changes=[["buy", "1.00", "0"]])),
    MarketData(symbol="AAPL", ts="t", snapshot=BookSnapshot(seq=4, bids=[["1.00", "5"]], asks=[])),
    MarketData(symbol="AAPL", ts="t", candles=[{"interval": "1m", "t": "t", "o": "1", "h": "1", "l": "1", "c": "1",
                                                "v": "5"}]),
    PrivateMessages(account_id=12, messages=[(4, '{"type":"order_update","seq":4}'), (5, '{"type":"account"}')]),
    ReferenceQuote(symbol="AAPL", price="190.51", ts="t", source="simulated"),
])
def test_a_message_decodes_to_itself(message):
    assert decode(message.encode()) == message


def test_the_book_seq_slot_gives_the_plain_encoding():
    for message in (MarketData(symbol="A", ts="t", quote=QUOTE, book=BookDelta(seq=7, changes=[["sell", "2", "1"]])),
                    MarketData(symbol="A", ts="t", snapshot=BookSnapshot(seq=7, bids=[], asks=[["2", "1"]]))):
        head, tail = message.encode_around_book_seq()
        assert json.loads(head + "7" + tail) == json.loads(message.encode())
    snapshot = BookSnapshot(seq=7, bids=[["1", "2"]], asks=[], ts="t")
    assert BookSnapshot.decode('{"seq":7' + snapshot.encode_after_seq()) == snapshot


def test_no_stored_snapshot_is_an_empty_book():
    assert BookSnapshot.decode(None) == BookSnapshot(seq=0, bids=[], asks=[])


@pytest.mark.parametrize("raw", [
    b"", b"garbage", b"[]", b"\xff", b'{"type": "md.update"}', b'{"type": "nope", "symbol": "A"}',
    b'{"type": "md.update", "symbol": "A", "book": {"changes": []}}',
    b'{"type": "md.update", "symbol": "A", "book": {"seq": "x", "changes": []}}',
    b'{"type": "orders.private", "account_id": "x", "messages": []}', b'{"type": "orders.private", "messages": []}',
    b'{"type": "orders.private", "account_id": 1, "messages": [[1]]}',
    b'{"type": "orders.private", "account_id": 1, "messages": [["x", "{}"]]}',
    b'{"type": "orders.private", "account_id": 1, "messages": [[1, {"type": "account"}]]}',
    b'{"type": "md.reference", "symbol": "A"}',
])
def test_garbage_is_refused(raw):
    with pytest.raises(MalformedMessage):
        decode(raw)
