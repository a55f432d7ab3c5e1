"""Helpers of the orders tests: orders and fills made as the venue makes them, the bus stream, rows
the database would refuse."""

import json
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F

from common.redis import get_redis
from orders.bus import shard_for, stream_for_shard
from orders.models import Account, Order, Position, Trade
from orders.money import CENT, fee_for
from orders.services import account_system, order_place
from orders.services.accounts import ledger_post
from orders.services.reservations import reserve_target


def place(account, *, side, qty, price, symbol="AAPL", **extra) -> Order:
    order, created = order_place(account=account, symbol=symbol, side=side, type="limit", qty=Decimal(qty),
                                 limit_price=Decimal(price), **extra)
    assert created
    return order


def fill(*, maker: Order, taker: Order, qty: str, price: str) -> Trade:
    """Settle one trade the way the engine does (cash, fees, ledger, positions, fills,
    reservations), so the audit sees a consistent venue after real trading."""
    qty, price = Decimal(qty), Decimal(price)
    instrument = maker.instrument
    notional = (qty * price).quantize(CENT)
    maker_fee, taker_fee = fee_for(notional, instrument.maker_fee_rate), fee_for(notional, instrument.taker_fee_rate)
    buyer, seller = (taker, maker) if taker.side == "buy" else (maker, taker)
    buyer_fee, seller_fee = (taker_fee, maker_fee) if buyer is taker else (maker_fee, taker_fee)
    trade = Trade.objects.create(instrument=instrument, price=price, qty=qty, aggressor_side=taker.side,
                                 maker_order=maker, taker_order=taker, maker_fee=maker_fee, taker_fee=taker_fee,
                                 seq=Trade.objects.filter(instrument=instrument).count() + 1)
    house = account_system(kind=Account.Kind.HOUSE)
    Account.objects.filter(pk=buyer.account_id).update(cash=F("cash") - notional - buyer_fee)
    Account.objects.filter(pk=seller.account_id).update(cash=F("cash") + notional - seller_fee)
    Account.objects.filter(pk=house.pk).update(cash=F("cash") + buyer_fee + seller_fee)
    txn = f"trade:{instrument.pk}:{trade.seq}"
    ledger_post(legs=[(buyer.account, -notional), (seller.account, notional)], kind="trade", trade=trade, txn=txn)
    ledger_post(legs=[(buyer.account, -buyer_fee), (seller.account, -seller_fee), (house, buyer_fee + seller_fee)],
                kind="fee", trade=trade, txn=txn)
    for order in (maker, taker):
        order.refresh_from_db()
        order.filled_qty += qty
        order.filled_notional += qty * price
        order.status = "filled" if order.filled_qty == order.qty else "partially_filled"
        if order.side == "buy":
            target = reserve_target(order)
            Account.objects.filter(pk=order.account_id).update(
                reserved_cash=F("reserved_cash") - (order.reserved_cash - target))
            order.reserved_cash = target
        else:
            Position.objects.filter(account=order.account_id, instrument=instrument).update(
                reserved_qty=F("reserved_qty") - qty)
        order.save()
    Position.objects.get_or_create(account_id=buyer.account_id, instrument=instrument)
    Position.objects.filter(account=buyer.account_id, instrument=instrument).update(qty=F("qty") + qty)
    Position.objects.filter(account=seller.account_id, instrument=instrument).update(qty=F("qty") - qty)
    return trade


class BusTail:
    """Reads the commands appended to a symbol's engine stream after it was created."""

    def __init__(self, symbol: str):
        self.stream = stream_for_shard(shard_for(symbol))
        last = get_redis().xrevrange(self.stream, count=1)
        self.after = last[0][0].decode() if last else None

    def commands(self) -> list[dict]:
        start = f"({self.after}" if self.after else "-"
        return [json.loads(fields[b"c"]) for _, fields in get_redis().xrange(self.stream, min=start)]


@contextmanager
def check_constraints_off():
    """Write rows the database's CHECK constraints would refuse (SQLite only)."""
    if connection.vendor != "sqlite":
        pytest.skip("needs SQLite's ignore_check_constraints to write the corrupt row")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")
