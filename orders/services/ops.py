"""Venue operations: halting and resuming instruments, expiring DAY orders.

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
