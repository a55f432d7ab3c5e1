"""Bots in process, through the real order services (no engine: orders stay `accepted` unless
a test moves them on). What matters here: what they send, and that nothing crashes them."""

import asyncio
import json
import random
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async

from bots import gateway
from bots.gateway import BotSpec
from bots.models import BotConfig
from bots.runner import BotRunner
from bots.strategies import MarketMaker, NoiseTaker
from common.redis import new_async_redis
from marketdata.feeds.reference import reference_key
from marketdata.models import Instrument
from orders.models import Order
from realtime.channels import book_key
from tests.factories import make_instrument, make_trader

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def spec(account_id, *, name="mm", kind="market_maker", symbols=("AAPL",), **changes) -> BotSpec:
    values = dict(id=1, name=name, kind=kind, username="x", account_id=account_id, symbols=tuple(symbols),
                  interval_seconds=D("0.05"), order_qty=D("10"), spread_bps=D("10"), levels=2,
                  level_spacing_bps=D("10"), max_inventory=D("1000"), skew_bps=D("10"), requote_ticks=1)
    return BotSpec(**{**values, **changes})


@pytest.fixture
def aapl():
    return make_instrument("AAPL", reference="100.00")


@pytest.fixture
def funded(aapl):
    return make_trader("maker", cash="1000000", positions={aapl: "1000"}, price="100.00")


@pytest.fixture
def broke(aapl):
    return make_trader("broke")


@pytest.fixture
async def redis():
    client = new_async_redis()
    await client.delete(reference_key("AAPL"), book_key("AAPL"))
    yield client
    await client.delete(reference_key("AAPL"), book_key("AAPL"))
    await client.aclose()


@sync_to_async
def orders(**filters) -> list[Order]:
    return list(Order.objects.filter(**filters).order_by("id"))


@sync_to_async
def set_status(status: str) -> None:
    Order.objects.update(status=status)


async def test_a_market_maker_quotes_both_sides_and_replaces_when_the_reference_moves(funded, redis):
    bot = MarketMaker(spec(funded.pk), "AAPL", redis=redis)
    await bot.cycle()
    placed = await orders(account=funded)
    assert [(o.side, o.limit_price, o.qty, o.client_order_id[:5]) for o in placed] == [
        ("buy", D("99.95"), D(10), "mm:b0"), ("sell", D("100.05"), D(10), "mm:s0"),
        ("buy", D("99.85"), D(10), "mm:b1"), ("sell", D("100.15"), D(10), "mm:s1")]
    await bot.cycle()
    assert len(await orders(account=funded)) == 4  # the engine has not taken them yet: nothing more
    await set_status("new")
    await redis.set(reference_key("AAPL"), json.dumps({"symbol": "AAPL", "price": "101.00"}))
    await bot.cycle()
    replaced = await orders(account=funded)
    assert len(replaced) == 4
    assert [o.replace_limit_price for o in replaced] == [D("100.94"), D("101.06"), D("100.84"), D("101.16")]
    await bot.withdraw()
    assert {o.status for o in await orders(account=funded)} == {"pending_cancel"}


async def test_a_halted_symbol_gets_no_new_quotes(funded, redis):
    await sync_to_async(Instrument.objects.filter(symbol="AAPL").update)(status="halted")
    await MarketMaker(spec(funded.pk), "AAPL", redis=redis).cycle()
    assert await orders() == []


async def test_refusals_are_logged_and_the_bots_carry_on(broke, redis, caplog):
    maker = MarketMaker(spec(broke.pk, interval_seconds=D("0.02")), "AAPL", redis=redis)
    task = asyncio.create_task(maker.run())
    for _ in range(300):
        if maker.cycles >= 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert maker.cycles >= 3 and maker.failures == 0
    rejected = await orders(account=broke)
    assert {(o.side, o.status, o.reject_reason) for o in rejected} == {
        ("buy", "rejected", "insufficient_buying_power"), ("sell", "rejected", "insufficient_position")}
    assert any("bot order refused" in r.getMessage() for r in caplog.records)

    await redis.set(book_key("AAPL"), json.dumps({"seq": 1, "bids": [["99", "5"]], "asks": [["101", "5"]]}))
    # Seeded: the taker picks its side at random, and five unseeded cycles were all sells one run in 32.
    taker = NoiseTaker(spec(broke.pk, name="noise", kind="taker", interval_seconds=D("0.01")), redis=redis,
                       rng=random.Random(7))
    for _ in range(10):
        await taker.cycle()  # buys refused (no cash); sells never sent (nothing to sell)
    refused = await orders(account=broke, client_order_id__startswith="noise:")
    assert refused and {(o.type, o.side, o.reject_reason) for o in refused} == {
        ("market", "buy", "insufficient_buying_power")}


async def test_a_failing_cycle_is_counted_and_the_bot_goes_on(aapl, redis):
    maker = MarketMaker(spec(10**9, interval_seconds=D("0.02")), "AAPL", redis=redis)  # no such account
    task = asyncio.create_task(maker.run())
    for _ in range(300):
        if maker.failures >= 3:
            break
        await asyncio.sleep(0.01)
    assert not task.done()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert maker.failures >= 3


async def test_the_taker_sends_small_market_orders_only_into_liquidity(funded, redis):
    taker = NoiseTaker(spec(funded.pk, name="noise", kind="taker", order_qty=D("5")), redis=redis)
    for _ in range(5):
        await taker.cycle()
    assert await orders() == []  # no book yet
    await redis.set(book_key("AAPL"), json.dumps({"seq": 1, "bids": [["99", "5"]], "asks": [["101", "5"]]}))
    for _ in range(20):
        await taker.cycle()
    sent = await orders(account=funded)
    assert len(sent) == 20
    assert {o.type for o in sent} == {"market"} and {o.side for o in sent} == {"buy", "sell"}
    assert all(1 <= o.qty <= 5 and o.client_order_id.startswith("noise:") for o in sent)


def test_default_configs_are_created_once_and_never_overwritten(aapl):
    defaults = [{"name": "mm", "kind": "market_maker", "username": "maker", "spread_bps": "20", "levels": 3},
                {"name": "noise", "kind": "taker", "username": "nobody", "ignored_key": 1}]
    assert gateway.ensure_default_configs(defaults) == ["mm", "noise"]
    BotConfig.objects.filter(name="mm").update(spread_bps=D("50"))
    assert gateway.ensure_default_configs(defaults) == []
    assert BotConfig.objects.get(name="mm").spread_bps == D("50")
    assert BotConfig.objects.get(name="mm").levels == 3


def test_specs_resolve_accounts_and_symbols(funded):
    make_instrument("MSFT", reference="400.00")
    BotConfig.objects.create(name="mm", kind="market_maker", username="maker")
    BotConfig.objects.create(name="one", kind="market_maker", username="maker", symbols="msft, NOPE")
    BotConfig.objects.create(name="ghost", kind="taker", username="nobody")
    BotConfig.objects.create(name="off", kind="taker", username="maker", enabled=False)
    specs = {s.name: s for s in gateway.load_specs()}
    assert set(specs) == {"mm", "one", "ghost"}
    assert specs["mm"].symbols == ("AAPL", "MSFT") and specs["mm"].account_id == funded.pk
    assert specs["one"].symbols == ("MSFT",)
    assert specs["ghost"].account_id is None


async def test_the_runner_starts_updates_and_stops_bots_and_withdraws_quotes(funded, redis):
    runner = BotRunner(reload_interval=1, defaults=[])
    runner.redis = redis
    maker = spec(funded.pk, interval_seconds=D("0.02"))
    await runner.sync([maker, spec(funded.pk, id=2, name="noise", kind="taker", interval_seconds=D("60")),
                       spec(None, id=3, name="ghost")])
    assert set(runner.bots) == {(1, "AAPL"), (2, "*")}
    for _ in range(300):
        if len(await orders(account=funded, status="accepted")) == 4:
            break
        await asyncio.sleep(0.01)
    wider = spec(funded.pk, interval_seconds=D("0.02"), spread_bps=D("40"))
    bot, task = runner.bots[(1, "AAPL")]
    await runner.sync([wider])  # same bot, new parameters: updated in place; the taker stops
    assert runner.bots[(1, "AAPL")] == (bot, task) and bot.spec.spread_bps == D("40")
    assert set(runner.bots) == {(1, "AAPL")}
    await runner.sync([])  # disabled: it stops and cancels its quotes
    assert runner.bots == {} and task.done()
    assert {o.status for o in await orders(account=funded)} == {"pending_cancel"}


def test_ops_can_edit_bots_in_the_admin(admin_client):
    config = BotConfig.objects.create(name="mm", kind="market_maker", username="bot-mm")
    assert admin_client.get("/admin/bots/botconfig/").status_code == 200
    assert admin_client.get(f"/admin/bots/botconfig/{config.pk}/change/").status_code == 200
    response = admin_client.post("/admin/bots/botconfig/", {"action": "disable_selected",
                                                            "_selected_action": [config.pk]})
    assert response.status_code == 302
    config.refresh_from_db()
    assert not config.enabled
