"""Engine shards as real processes: two shards split the symbols and settle one account trading on
both exactly; one process per shard at a time (a second waits, and takes over when the first dies);
changing the shard count moves the queued commands, stranding none."""

import signal
import sys
import zlib
from contextlib import ExitStack
from decimal import Decimal as D

import pytest
from django.test import override_settings

from common.redis import get_redis
from orders import audit
from orders.bus import heartbeat_key, stream_for_shard
from orders.models import Account, EngineShard, Order
from orders.services import order_place
from orders.worker.lease import LAYOUT_KEY, LEASE_SECONDS, lease_key
from tests.factories import make_instrument, make_trader
from tests.processes import running, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def symbols_of(shards: int) -> dict[int, str]:
    """One symbol per shard of `shards` (the bus routes by crc32)."""
    found: dict[int, str] = {}
    for n in range(1000):
        symbol = f"S{n}"
        found.setdefault(zlib.crc32(symbol.encode()) % shards, symbol)
        if len(found) == shards:
            return found
    raise AssertionError("no symbols")


@pytest.fixture(autouse=True)
def clean_redis():
    redis = get_redis()

    def clean():
        keys = [LAYOUT_KEY] + [k for count in (1, 2) for i in range(count)
                               for k in (stream_for_shard(i, count), heartbeat_key(i, count), lease_key(i, count))]
        redis.delete(*keys)
    clean()
    yield
    clean()


def start_engine(stack: ExitStack, shard: int, shards: int, name: str):
    process = stack.enter_context(running([sys.executable, "manage.py", "run_engine", "--shard", f"{shard}/{shards}"],
                                          log_name=name, ENGINE_SHARDS=str(shards)))
    return process


def settled(*orders: Order, timeout: float = 30) -> None:
    ids = [o.pk for o in orders]
    wait_for(lambda: not Order.objects.filter(pk__in=ids, status__in=("accepted", "pending_cancel")).exists(),
             timeout, f"orders {ids} settled")


def limit(account, symbol, side, qty, price) -> Order:
    return order_place(account=account, symbol=symbol, side=side, type="limit", qty=D(qty), limit_price=D(price))[0]


@override_settings(ENGINE_SHARDS=2)
def test_two_shards_split_the_symbols_and_settle_one_account_on_both_exactly():
    first, second = symbols_of(2).values()
    a, b = make_instrument(first), make_instrument(second)
    buyer = make_trader("buyer", cash="10000.00")
    seller = make_trader("seller", cash="0", positions={a: "10", b: "10"})
    with ExitStack() as stack:
        engines = [start_engine(stack, i, 2, f"shard-{i}") for i in (0, 1)]
        wait_for(lambda: get_redis().exists(heartbeat_key(0, 2), heartbeat_key(1, 2)) == 2, 30, "both shards up")
        asks = [limit(seller, symbol, "sell", "10", "100.00") for symbol in (first, second)]
        bids = [limit(buyer, symbol, "buy", "4", "100.00") for symbol in (first, second)]
        rest = [limit(buyer, symbol, "buy", "2", "99.00") for symbol in (first, second)]
        settled(*asks, *bids, *rest)
        assert all(e.poll() is None for e in engines)
    assert [Order.objects.get(pk=o.pk).status for o in bids] == ["filled", "filled"]
    assert [Order.objects.get(pk=o.pk).filled_qty for o in asks] == [D("4"), D("4")]
    buyer.refresh_from_db()
    # 2 x 4 x 100.00 = 800.00 plus 2 x 0.12 taker fees; the two resting bids of 2 x 99.00 hold
    # 198.00 + 0.06 fees (0.0594 rounded up) each.
    assert (buyer.cash, buyer.reserved_cash) == (D("9199.76"), D("396.12"))
    assert set(EngineShard.objects.filter(shards=2).values_list("shard", flat=True)) == {0, 1}
    assert audit.audit_run() == []


def test_a_second_process_for_a_shard_waits_then_takes_over_when_the_first_dies():
    make_instrument("AAPL")
    trader = make_trader("maker", cash="100000.00")
    with ExitStack() as stack:
        holder = start_engine(stack, 0, 1, "lease-holder")
        wait_for(lambda: get_redis().exists(heartbeat_key(0, 1)), 30, "the holder's heartbeat")
        waiter = start_engine(stack, 0, 1, "lease-waiter")
        wait_for(lambda: b"waiting" in waiter.log_path.read_bytes(), 30, "the second process waits")
        first = limit(trader, "AAPL", "buy", "1", "99.00")
        settled(first)
        stop(holder, sig=signal.SIGKILL)  # its lease expires: nothing releases it
        second = limit(trader, "AAPL", "buy", "2", "99.00")
        settled(second, timeout=LEASE_SECONDS + 30)
        assert waiter.poll() is None and b"engine lease acquired" in waiter.log_path.read_bytes()
    epochs = EngineShard.objects.get(shards=1, shard=0)
    assert epochs.epoch >= 2
    assert Order.objects.get(pk=second.pk).status == "new"
    assert audit.audit_run() == []


def test_changing_the_shard_count_moves_the_queued_commands():
    symbols = symbols_of(2)
    instruments = [make_instrument(s) for s in symbols.values()]
    trader = make_trader("maker", cash="100000.00")
    with override_settings(ENGINE_SHARDS=1):  # the web still routes by one shard, no engine runs
        queued = [limit(trader, i.symbol, "buy", "1", "99.00") for i in instruments]
    assert get_redis().xlen(stream_for_shard(0, 1)) == 2
    get_redis().set(LAYOUT_KEY, 1)
    with override_settings(ENGINE_SHARDS=2), ExitStack() as stack:
        for i in (0, 1):
            start_engine(stack, i, 2, f"relayout-{i}")
        settled(*queued)
    assert [Order.objects.get(pk=o.pk).status for o in queued] == ["new", "new"]
    assert get_redis().get(LAYOUT_KEY) == b"2" and get_redis().xlen(stream_for_shard(0, 1)) == 0
    assert Account.objects.get(pk=trader.pk).reserved_cash == D("198.06")
