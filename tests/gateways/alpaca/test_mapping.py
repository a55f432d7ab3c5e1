"""The pure parts of the Alpaca surface: ids map both ways, request numbers are read exactly, and a
batch's fills get the position after each of them."""

import io
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateways.alpaca.errors import AlpacaError
from gateways.alpaca.ids import ACCOUNT, ORDER, account_uuid, execution_uuid, order_uuid, parse_uuid, pk_of
from gateways.alpaca.inputs import DecimalJSONParser, decimal_value
from gateways.alpaca.trade_updates import batch_of, trade_updates

decimals = st.decimals(min_value=D("0.00000001"), max_value=D("999999999999.99999999"), places=8,
                       allow_nan=False, allow_infinity=False)


@given(st.integers(min_value=1, max_value=16**12 - 1))
def test_ids_round_trip_and_never_cross_kinds(pk):
    text = order_uuid(pk)
    assert pk_of(parse_uuid(text), ORDER) == pk
    assert pk_of(parse_uuid(text.upper().replace("-", "")), ORDER) == pk
    assert pk_of(parse_uuid(text), ACCOUNT) is None
    assert pk_of(parse_uuid(account_uuid(pk)), ACCOUNT) == pk
    assert execution_uuid(pk, "maker") != execution_uuid(pk, "taker")


def test_foreign_uuids_and_text_are_not_ids():
    assert parse_uuid("123") is None and parse_uuid("") is None and parse_uuid(None) is None
    assert pk_of(parse_uuid("5b0a6f06-3c2e-4f33-9c7e-2a2f2a2f2a2f"), ORDER) is None
    assert pk_of(parse_uuid(order_uuid(0)), ORDER) is None


@given(decimals)
def test_json_numbers_are_read_exactly(value):
    text = f"{value:f}"
    body = DecimalJSONParser().parse(io.BytesIO(f'{{"qty": {text}, "price": "{text}"}}'.encode()))
    assert decimal_value(body, "qty") == value == decimal_value(body, "price")


def test_floats_are_never_rounded():
    body = DecimalJSONParser().parse(io.BytesIO(b'{"a": 0.1, "b": 99.1, "c": 0.12345678901234567890, "d": 1e2}'))
    assert (decimal_value(body, "a"), decimal_value(body, "b"), decimal_value(body, "d")) == (D("0.1"), D("99.1"), 100)
    with pytest.raises(AlpacaError, match="more than 8 decimal places"):
        decimal_value(body, "c")


def update(event, side, qty=None, symbol="AAPL", trade_id=1):
    order = {"id": 7, "client_order_id": "c", "symbol": symbol, "side": side, "type": "limit",
             "time_in_force": "day", "qty": "10", "limit_price": "100.00", "stop_price": None,
             "status": "filled", "filled_qty": "10", "avg_fill_price": "100.00",
             "created_at": "2026-01-02T00:00:00Z", "updated_at": "2026-01-02T00:00:01Z"}
    body = {"type": "order_update", "seq": 1, "event": event, "order": order}
    if qty:
        body["fill"] = {"trade_id": trade_id, "price": "100.00", "qty": qty, "liquidity": "taker", "fee": "0.01"}
    return body


def test_each_fill_gets_the_position_after_it():
    messages = [update("partial_fill", "buy", "4", trade_id=1), update("fill", "buy", "6", trade_id=2),
                {"type": "position", "seq": 3, "symbol": "AAPL", "qty": "15"}, {"type": "account", "seq": 4}]
    updates, held = batch_of(messages)
    assert held == {"AAPL": D("15")} and len(updates) == 2
    out = [m["data"] for m in trade_updates(updates, held=held)]
    assert [(d["event"], d["qty"], d["position_qty"]) for d in out] == [("partial_fill", "4", "9"), ("fill", "6", "15")]
    assert out[0]["execution_id"] != out[1]["execution_id"]
    assert out[1]["order"]["id"] == order_uuid(7) and out[1]["order"]["filled_at"] == "2026-01-02T00:00:01Z"
    sold = trade_updates([update("fill", "sell", "10")], held={"AAPL": D("0")})[0]["data"]
    assert sold["position_qty"] == "0"
    assert "position_qty" not in trade_updates([update("canceled", "buy")], held={})[0]["data"]
