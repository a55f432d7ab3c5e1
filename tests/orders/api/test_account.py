"""GET account/ and GET positions/: exact balances, valuation at the mark price."""

from decimal import Decimal

import pytest

from marketdata.models import Instrument
from orders.models import Position
from tests.orders.api.fixtures import make_instrument, make_trader

pytestmark = pytest.mark.django_db

ACCOUNT = "/api/v1/account/"
POSITIONS = "/api/v1/positions/"


def test_a_funded_account_with_no_positions(aapl):
    dana = make_trader("dana")
    assert dana.client.get(ACCOUNT).json() == {
        "id": dana.account.pk, "currency": "USD", "cash": "100000.00", "reserved_cash": "0.00",
        "buying_power": "100000.00", "equity": "100000.00", "realized_pl": "0.00", "unrealized_pl": "0.00",
    }
    assert dana.client.get(POSITIONS).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_new_user_gets_an_empty_account(aapl):
    erin = make_trader("erin", cash=None)
    body = erin.client.get(ACCOUNT).json()
    assert (body["cash"], body["equity"], body["buying_power"]) == ("0.00", "0.00", "0.00")


def test_positions_are_valued_at_the_reference_price_without_trades(alice):
    # 100 AAPL bought at 90.00, reference 100.00
    assert alice.client.get(ACCOUNT).json() == {
        "id": alice.account.pk, "currency": "USD", "cash": "100000.00", "reserved_cash": "0.00",
        "buying_power": "100000.00", "equity": "110000.00", "realized_pl": "0.00", "unrealized_pl": "1000.00",
    }
    assert alice.client.get(POSITIONS).json()["results"] == [{
        "symbol": "AAPL", "qty": "100", "reserved_qty": "0", "avg_price": "90.00", "market_price": "100.00",
        "market_value": "10000.00", "unrealized_pl": "1000.00", "realized_pl": "0.00",
    }]


def test_the_last_trade_price_wins_over_the_reference(alice, aapl):
    Instrument.objects.filter(pk=aapl.pk).update(last_price=Decimal("95.50"))
    position = alice.client.get(POSITIONS).json()["results"][0]
    assert (position["market_price"], position["market_value"], position["unrealized_pl"]) == \
        ("95.50", "9550.00", "550.00")
    body = alice.client.get(ACCOUNT).json()
    assert (body["equity"], body["unrealized_pl"]) == ("109550.00", "550.00")


def test_without_any_price_a_position_is_valued_at_its_cost(db):
    odd = make_instrument("ODD", reference_price=None)
    frank = make_trader("frank", holdings={odd: (Decimal("10"), Decimal("12.34"))})
    position = frank.client.get(POSITIONS).json()["results"][0]
    assert (position["market_price"], position["market_value"], position["unrealized_pl"]) == \
        ("12.34", "123.40", "0.00")


def test_an_average_price_off_the_tick_keeps_its_digits(aapl):
    gina = make_trader("gina", holdings={aapl: (Decimal("3"), Decimal("90.00"))})
    from orders.services import position_grant

    position_grant(account=gina.account, instrument=aapl, qty=Decimal("1"), avg_price=Decimal("91.00"))
    position = gina.client.get(POSITIONS).json()["results"][0]
    assert (position["qty"], position["avg_price"]) == ("4", "90.25")
    position_grant(account=gina.account, instrument=aapl, qty=Decimal("2"), avg_price=Decimal("91.00"))
    assert gina.client.get(POSITIONS).json()["results"][0]["avg_price"] == "90.50"


def test_a_buy_order_reserves_cash_and_lowers_buying_power_not_equity(alice):
    assert alice.place().status_code == 201
    body = alice.client.get(ACCOUNT).json()
    assert (body["cash"], body["reserved_cash"], body["buying_power"], body["equity"]) == \
        ("100000.00", "1000.30", "98999.70", "110000.00")


def test_a_sell_order_reserves_position_quantity(alice):
    assert alice.place(side="sell", qty="30").status_code == 201
    position = alice.client.get(POSITIONS).json()["results"][0]
    assert (position["qty"], position["reserved_qty"]) == ("100", "30")


def test_realized_pl_counts_closed_positions_which_are_not_listed(alice, msft, aapl):
    Position.objects.filter(account=alice.account, instrument=aapl).update(realized_pl=Decimal("12.50"))
    Position.objects.create(account=alice.account, instrument=msft, qty=0, avg_price=0, realized_pl=Decimal("-2.25"))
    assert alice.client.get(ACCOUNT).json()["realized_pl"] == "10.25"
    assert [p["symbol"] for p in alice.client.get(POSITIONS).json()["results"]] == ["AAPL"]


def test_positions_are_listed_by_symbol_with_their_own_grid(alice, msft, db):
    btc = make_instrument("BTC", tick_size=Decimal("0.5"), lot_size=Decimal("0.02"), reference_price=Decimal("30000"))
    from orders.services import position_grant

    position_grant(account=alice.account, instrument=msft, qty=Decimal("5"), avg_price=Decimal("390.00"))
    position_grant(account=alice.account, instrument=btc, qty=Decimal("0.4"), avg_price=Decimal("29000"))
    results = alice.client.get(POSITIONS).json()["results"]
    assert [(p["symbol"], p["qty"], p["avg_price"], p["market_value"]) for p in results] == [
        ("AAPL", "100", "90.00", "10000.00"),
        ("BTC", "0.40", "29000.0", "12000.00"),
        ("MSFT", "5", "390.00", "2000.00"),
    ]
