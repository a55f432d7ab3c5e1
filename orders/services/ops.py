"""Venue operations: halting and resuming instruments (one, or all: the kill switch), expiring DAY
orders, changing an instrument's grid safely.

The engine owns the books, so these send it a command on the bus. A halt also takes
effect in the database at once, so `order_place` refuses new orders before the engine
has even read the command (in other web processes within INSTRUMENT_CACHE_SECONDS; the
engine refuses them anyway); the engine confirms the status when it applies it.
"""

from django.db import transaction

from common.errors import invalid
from marketdata.models import Instrument
from marketdata.selectors import instrument_cache_clear
from orders.bus import BusCommand, CommandKind, bus_publish, bus_publish_on_commit
from orders.models import Account, Order
from orders.services.cancellation import CANCELABLE, order_cancel_all


def _set_status(*, instrument: Instrument, status: str, kind: CommandKind) -> Instrument:
    with transaction.atomic():
        Instrument.objects.filter(pk=instrument.pk).update(status=status)
        bus_publish_on_commit(BusCommand(kind, instrument.symbol))
    instrument_cache_clear()
    instrument.refresh_from_db(fields=["status"])
    return instrument


def instrument_halt(*, instrument: Instrument) -> Instrument:
    """Stop trading in `instrument`: new orders are refused at once, the engine stops matching."""
    return _set_status(instrument=instrument, status=Instrument.Status.HALTED, kind=CommandKind.HALT)


def instrument_resume(*, instrument: Instrument) -> Instrument:
    """Trading in `instrument` resumes: orders are accepted again and the engine matches."""
    return _set_status(instrument=instrument, status=Instrument.Status.TRADING, kind=CommandKind.RESUME)


def orders_expire_day(*, symbol: str | None = None) -> list[str]:
    """Tell the engine to expire the open DAY orders of `symbol`, or of every instrument.

    One command per symbol, each routed to the shard that owns the symbol. Publishes at
    once (not on commit) and lets a Redis error propagate, so a scheduled run that could
    not reach the engine fails visibly and can be retried. Returns the symbols sent.
    """
    if symbol is not None:
        if not Instrument.objects.filter(symbol=symbol).exists():
            raise invalid("symbol", f"Unknown symbol {symbol!r}.")
        symbols = [symbol]
    else:
        symbols = list(Instrument.objects.order_by("symbol").values_list("symbol", flat=True))
    bus_publish(*[BusCommand(CommandKind.EXPIRE_DAY, each) for each in symbols])
    return symbols


def venue_halt(*, cancel_open_orders: bool = True) -> dict[str, list]:
    """The venue-wide kill switch: halt every instrument still trading (new orders refused at once,
    matching stopped), then ask the engine to cancel every open order of every account.
    Returns {"halted": [symbols], "canceled": [order ids]}."""
    halted = []
    for instrument in Instrument.objects.filter(status=Instrument.Status.TRADING).order_by("symbol"):
        instrument_halt(instrument=instrument)
        halted.append(instrument.symbol)
    canceled: list[int] = []
    if cancel_open_orders:
        accounts = Account.objects.filter(pk__in=Order.objects.filter(status__in=CANCELABLE).values("account_id"))
        for account in accounts.order_by("pk"):
            canceled += order_cancel_all(account=account)
    return {"halted": halted, "canceled": canceled}


def venue_resume() -> list[str]:
    """Resume trading in every halted instrument; returns their symbols."""
    resumed = []
    for instrument in Instrument.objects.filter(status=Instrument.Status.HALTED).order_by("symbol"):
        instrument_resume(instrument=instrument)
        resumed.append(instrument.symbol)
    return resumed


def instrument_grid_change_check(*, instrument: Instrument, tick_size, lot_size) -> None:
    """A live symbol's tick or lot size changes only while it is halted with no open order: resting
    prices would fall off the new grid, and the engine rebuilds the book's grid at its next batch."""
    if (tick_size, lot_size) == (instrument.tick_size, instrument.lot_size):
        return
    if instrument.status != Instrument.Status.HALTED:
        raise invalid("tick_size", "Halt the instrument before changing its tick or lot size.")
    if Order.objects.filter(instrument=instrument, status__in=Order.OPEN_STATUSES).exists():
        raise invalid("tick_size", "Cancel the instrument's open orders before changing its tick or lot size.")
