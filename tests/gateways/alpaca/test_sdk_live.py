"""alpaca-py 0.44, unchanged, against a live venue (engine, uvicorn, Redis, database): a bot's day
(account, assets, clock, calendar; submit, replace, cancel; a fill against a second account; the
position closed in parts), both streams receiving it, and the market-data REST calls."""

import threading
from decimal import Decimal as D

import pytest
from alpaca.data.enums import DataFeed
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.live import StockDataStream
from alpaca.data.requests import (
    StockBarsRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockSnapshotRequest,
)
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetCalendarRequest,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
    StopLimitOrderRequest,
    StopOrderRequest,
)
from alpaca.trading.stream import TradingStream

from common.redis import get_redis
from gateways.alpaca.ids import order_uuid
from marketdata.models import Candle, Instrument
from orders.models import Order, Position
from realtime.channels import account_channel
from tests.gateways.alpaca.conftest import StreamThread
from tests.processes import ROOT, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def settled() -> bool:
    return not Order.objects.filter(status__in=("accepted", "pending_cancel")).exists()


def test_a_bot_trades_through_alpaca_py(engine, venue, traders):
    buyer, seller = traders["buyer"], traders["seller"]
    base = f"http://{venue}"
    bot = TradingClient(buyer.key_id, buyer.secret, url_override=base)
    other = TradingClient(seller.key_id, seller.secret, url_override=base)
    data = StockHistoricalDataClient(buyer.key_id, buyer.secret, url_override=base)

    account = bot.get_account()
    assert (account.cash, account.buying_power, account.status, account.currency) == (
        "100000.00", "100000.00", "ACTIVE", "USD")
    assert account.account_number.startswith("VEN")
    assets = {a.symbol: a for a in bot.get_all_assets()}
    assert sorted(assets) == ["AAPL", "MSFT"] and assets["AAPL"].tradable and not assets["AAPL"].fractionable
    assert assets["AAPL"].price_increment == 0.01 and assets["AAPL"].min_order_size == 1
    assert bot.get_asset("AAPL").id == bot.get_asset(assets["AAPL"].id).id == assets["AAPL"].id
    clock = bot.get_clock()
    assert clock.is_open and clock.next_close > clock.timestamp
    days = bot.get_calendar(GetCalendarRequest(start="2026-03-02", end="2026-03-04"))
    assert [d.date.isoformat() for d in days] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert days[0].close.strftime("%H:%M") == "21:00"

    updates = StreamThread(TradingStream(buyer.key_id, buyer.secret, url_override=f"ws://{venue}/stream"),
                           lambda s, h: s.subscribe_trade_updates(h))
    market = StreamThread(StockDataStream(buyer.key_id, buyer.secret, feed=DataFeed.IEX,
                                          url_override=f"ws://{venue}/v2/iex"),
                          lambda s, h: (s.subscribe_quotes(h, "AAPL"), s.subscribe_trades(h, "AAPL"),
                                        s.subscribe_bars(h, "AAPL")))
    try:
        # Submit: a float limit price arrives exactly (99.1 is not 99.0999999...).
        order = bot.submit_order(LimitOrderRequest(symbol="AAPL", qty=10, side=OrderSide.BUY,
                                                   time_in_force=TimeInForce.DAY, limit_price=99.1,
                                                   client_order_id="bot-1"))
        assert (order.symbol, order.qty, order.limit_price, order.client_order_id) == ("AAPL", "10", "99.10", "bot-1")
        assert Order.objects.get(client_order_id="bot-1").limit_price == D("99.10")
        new = updates.wait(lambda u: u.event == "new" and str(u.order.id) == str(order.id), "new event")
        assert new.order.status == OrderStatus.NEW
        assert bot.get_order_by_id(order.id).client_order_id == "bot-1"
        assert bot.get_order_by_client_id("bot-1").id == order.id
        listed = bot.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, symbols=["AAPL"]))
        assert [o.id for o in listed] == [order.id]

        bot.replace_order_by_id(order.id, ReplaceOrderRequest(qty=12, limit_price=99.2))
        replaced = updates.wait(lambda u: u.event == "replaced", "replaced event")
        assert (replaced.order.qty, replaced.order.limit_price) == ("12", "99.20")
        bot.cancel_order_by_id(order.id)
        updates.wait(lambda u: u.event == "canceled" and u.order.id == order.id, "canceled event")
        assert bot.get_order_by_id(order.id).status == OrderStatus.CANCELED

        # Every type the venue has, each time in force.
        stop = bot.submit_order(StopLimitOrderRequest(symbol="AAPL", qty="1", side=OrderSide.BUY,
                                                      time_in_force=TimeInForce.GTC, stop_price="105.00",
                                                      limit_price=105.5))
        assert (stop.type, stop.stop_price, stop.limit_price) == ("stop_limit", "105.00", "105.50")
        stop_buy = bot.submit_order(StopOrderRequest(symbol="AAPL", qty=2, side=OrderSide.BUY,
                                                     time_in_force=TimeInForce.GTC, stop_price=106))
        assert (stop_buy.type, stop_buy.stop_price, stop_buy.limit_price) == ("stop", "106.00", None)
        for tif in (TimeInForce.IOC, TimeInForce.FOK):
            unfilled = bot.submit_order(LimitOrderRequest(symbol="AAPL", qty=1, side=OrderSide.BUY,
                                                          time_in_force=tif, limit_price=90))
            updates.wait(lambda u: u.event in ("canceled", "expired") and u.order.id == unfilled.id, f"{tif} done")
        canceled = bot.cancel_orders()
        assert sorted(str(c.id) for c in canceled) == sorted([str(stop.id), str(stop_buy.id)])
        assert {c.status for c in canceled} == {200}
        wait_for(settled, 20, "cancels settled")
        for each in (order, stop, stop_buy):
            updates.wait(lambda u: u.event == "canceled" and u.order.id == each.id, "canceled event")
        # pending_cancel (from the web process, at the request) comes before canceled (from the engine),
        # or not at all when the engine was faster than the notice.
        events = {each.id: [u.event for u in updates.received if u.order.id == each.id] for each in (order, stop, stop_buy)}
        assert all(e[-1] == "canceled" and (e[-2] != "pending_cancel" or "pending_cancel" not in e[:-2])
                   for e in events.values()), events
        assert any("pending_cancel" in e for e in events.values()), events
        notice = next(u for u in updates.received if u.event == "pending_cancel")
        assert notice.order.status == OrderStatus.PENDING_CANCEL

        # A fill against a second account: both sides' events, the position, the tape.
        resting = bot.submit_order(LimitOrderRequest(symbol="AAPL", qty=5, side=OrderSide.BUY,
                                                     time_in_force=TimeInForce.GTC, limit_price=100))
        updates.wait(lambda u: u.event == "new" and u.order.id == resting.id, "resting new")
        assert resting.client_order_id == str(resting.id)  # none sent: its own id serves
        assert bot.get_order_by_client_id(resting.client_order_id).id == resting.id
        other.submit_order(LimitOrderRequest(symbol="AAPL", qty=5, side=OrderSide.SELL,
                                             time_in_force=TimeInForce.GTC, limit_price="100.00"))
        fill = updates.wait(lambda u: u.event == "fill" and u.order.id == resting.id, "fill event")
        assert (fill.price, fill.qty, fill.position_qty) == (100.0, 5.0, 5.0)
        assert fill.execution_id is not None and fill.order.filled_avg_price == "100.00"
        trade = market.wait(lambda m: type(m).__name__ == "Trade", "trade on the data stream")
        assert (trade.symbol, trade.price, trade.size) == ("AAPL", 100.0, 5.0)
        market.wait(lambda m: type(m).__name__ == "Quote", "quote on the data stream")

        position = bot.get_open_position("AAPL")
        assert (position.qty, position.avg_entry_price, position.cost_basis, position.side) == (
            "5", "100.00", "500.00", "long")
        assert [p.symbol for p in bot.get_all_positions()] == ["AAPL"]

        # Market data REST.
        quotes = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["AAPL"]))
        assert quotes["AAPL"].bid_price == 0 or quotes["AAPL"].bid_price <= quotes["AAPL"].ask_price
        latest = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols="AAPL"))
        assert (latest["AAPL"].price, latest["AAPL"].size) == (100.0, 5.0)
        wait_for(lambda: Candle.objects.filter(interval="1m").exists(), 30, "a candle")
        bars = data.get_stock_bars(StockBarsRequest(symbol_or_symbols="AAPL", timeframe=TimeFrame.Minute))
        assert [(b.open, b.close, b.volume) for b in bars["AAPL"]] == [(100.0, 100.0, 5.0)]
        snapshot = data.get_stock_snapshot(StockSnapshotRequest(symbol_or_symbols="AAPL"))["AAPL"]
        assert snapshot.latest_trade.price == 100.0 and snapshot.minute_bar.close == 100.0
        market.wait(lambda m: type(m).__name__ == "Bar", "bar on the data stream")

        # Close the position: 2 by qty, then the rest by percentage, into the seller's bid.
        other.submit_order(LimitOrderRequest(symbol="AAPL", qty=10, side=OrderSide.BUY,
                                             time_in_force=TimeInForce.GTC, limit_price=99))
        wait_for(settled, 20, "bid resting")
        wait_for(lambda: Order.objects.filter(limit_price=99, status="new").exists(), 20, "bid in the book")
        first = bot.close_position("AAPL", ClosePositionRequest(qty="2"))
        assert (first.side, first.type, first.qty) == ("sell", "market", "2")
        updates.wait(lambda u: u.event == "fill" and u.order.id == first.id and u.position_qty == 3, "first close")
        rest = bot.close_position("AAPL", ClosePositionRequest(percentage="100"))
        assert rest.qty == "3"
        updates.wait(lambda u: u.event == "fill" and u.order.id == rest.id and u.position_qty == 0, "closed")
        assert bot.get_all_positions() == []
        assert Position.objects.get(account=buyer.account).qty == 0
        # Bought 5 at 100.00, sold 5 at 99.00, less each fill's fee: to the cent, as the ledger has it.
        buyer.account.refresh_from_db()
        assert bot.get_account().cash == f"{buyer.account.cash:.2f}"
        assert D("99994.50") < buyer.account.cash < D("99995.00")
        assert str(order.id) == order_uuid(order_pk(order.id))
    finally:
        updates.stop()
        market.stop()
    assert market.received and updates.received


def order_pk(value) -> int:
    return int(str(value)[24:], 16)


def test_close_all_positions_cancels_first(engine, venue, traders):
    seller = traders["seller"]
    bot = TradingClient(seller.key_id, seller.secret, url_override=f"http://{venue}")
    other = TradingClient(traders["buyer"].key_id, traders["buyer"].secret, url_override=f"http://{venue}")
    other.submit_order(LimitOrderRequest(symbol="AAPL", qty=100, side=OrderSide.BUY,
                                         time_in_force=TimeInForce.GTC, limit_price=99))
    held = bot.submit_order(LimitOrderRequest(symbol="AAPL", qty=40, side=OrderSide.SELL,
                                              time_in_force=TimeInForce.GTC, limit_price=109))
    wait_for(settled, 20, "orders resting")
    results = bot.close_all_positions(cancel_orders=True)
    assert [(r.symbol, r.status) for r in results] == [("AAPL", 200)]
    assert results[0].body.qty == "100"
    wait_for(lambda: Position.objects.get(account=seller.account).qty == 0, 20, "position closed")
    assert bot.get_order_by_id(held.id).status == OrderStatus.CANCELED
    market_sell = MarketOrderRequest(symbol="AAPL", qty=1, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
    with pytest.raises(Exception) as refused:
        bot.submit_order(market_sell)
    assert refused.value.status_code == 403 and refused.value.code == 40310000


def test_the_example_bot_of_the_docs_runs(engine, venue, traders):
    """docs/alpaca.md's ten lines, with this venue's keys and address, until its first update."""
    alice = traders["buyer"]
    Instrument.objects.filter(symbol="AAPL").update(reference_price=D("190.00"))  # as seed_demo has it
    text = (ROOT / "docs" / "alpaca.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) == 10
    code = code.replace('"PK...", "...", "127.0.0.1:8000"', f'"{alice.key_id}", "{alice.secret}", "{venue}"')
    code = code.replace("stream.run()", "started.append(stream)")
    started, printed = [], []
    namespace = {"started": started, "print": lambda *args: printed.append(args)}
    exec(compile(code, "docs/alpaca.md", "exec"), namespace)  # noqa: S102 - the documentation's own example
    assert printed[0] == ("100000.00", [])
    thread = StreamThread.__new__(StreamThread)
    thread.stream, thread.received = started[0], printed
    thread.thread = threading.Thread(target=started[0].run, daemon=True)
    thread.thread.start()
    try:
        channel = account_channel(alice.account.pk)
        wait_for(lambda: get_redis().pubsub_numsub(channel)[0][1] > 0, 30, "the example's stream listening")
        seller = TradingClient(traders["seller"].key_id, traders["seller"].secret, url_override=f"http://{venue}")
        seller.submit_order(LimitOrderRequest(symbol="AAPL", qty=10, side=OrderSide.SELL,
                                              time_in_force=TimeInForce.DAY, limit_price="189.50"))
        wait_for(lambda: ("fill", OrderStatus.FILLED, 189.5, 10.0) in printed[1:], 30, "the example's fill")
    finally:
        thread.stop()
