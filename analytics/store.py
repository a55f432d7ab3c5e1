"""The analytics process's database writes and its restart reads: minute rows and the stream
checkpoint. Called in the process's database thread only (analytics.consumer)."""

from datetime import timedelta

from analytics.figures import KEEP_MINUTES, Minute, minute_time
from analytics.models import AnalyticsMinute, StreamCheckpoint
from marketdata.models import Instrument

ROW_FIELDS = ("trades", "volume", "notional", "buy_volume", "sell_volume", "open", "high", "low", "close",
              "quotes", "spreads", "spread_sum", "spread_min", "spread_max", "bid_qty_sum", "ask_qty_sum",
              "bid", "ask", "bid_qty", "ask_qty")
FIGURE_FIELDS = ("session_vwap", "vwap_5m", "twap", "volatility_30m")


def checkpoint_get(*, name: str) -> str | None:
    row = StreamCheckpoint.objects.filter(name=name).first()
    return row.last_id if row else None


def checkpoint_save(*, name: str, last_id: str) -> None:
    StreamCheckpoint.objects.update_or_create(name=name, defaults={"last_id": last_id})


def instrument_ids(*, symbols) -> dict[str, int]:
    return dict(Instrument.objects.filter(symbol__in=list(symbols)).values_list("symbol", "id"))


def analytics_minutes_save(*, rows: dict[str, list[Minute]], ids: dict[str, int]) -> None:
    """Insert or update each symbol's changed minutes (unknown symbols are skipped)."""
    missing = [s for s in rows if s not in ids]
    if missing:
        ids.update(instrument_ids(symbols=missing))
    objects = []
    for symbol, minutes in rows.items():
        instrument_id = ids.get(symbol)
        if instrument_id is None:
            continue
        for row in minutes:
            values = {name: getattr(row, name) for name in ROW_FIELDS}
            figures = row.figures or {}
            values.update({name: figures.get(name) for name in FIGURE_FIELDS})
            objects.append(AnalyticsMinute(instrument_id=instrument_id, minute=minute_time(row.minute), **values))
    if objects:
        AnalyticsMinute.objects.bulk_create(objects, update_conflicts=True, unique_fields=["instrument", "minute"],
                                            update_fields=[*ROW_FIELDS, *FIGURE_FIELDS])


def analytics_minutes_restore() -> dict[str, list[Minute]]:
    """Per symbol, in time order, the stored minutes a restarted process folds back: those of the
    session (the UTC day) of its latest row, and the KEEP_MINUTES before its latest row."""
    out: dict[str, list[Minute]] = {}
    for instrument in Instrument.objects.only("id", "symbol"):
        latest = AnalyticsMinute.objects.filter(instrument=instrument).order_by("-minute").first()
        if latest is None:
            continue
        day_start = latest.minute.replace(hour=0, minute=0, second=0, microsecond=0)
        since = min(day_start, latest.minute - timedelta(minutes=KEEP_MINUTES))
        rows = AnalyticsMinute.objects.filter(instrument=instrument, minute__gte=since).order_by("minute")
        out[instrument.symbol] = [_minute(row) for row in rows]
    return out


def _minute(row: AnalyticsMinute) -> Minute:
    minute = Minute(int(row.minute.timestamp()) // 60, **{name: getattr(row, name) for name in ROW_FIELDS})
    minute.figures = {name: getattr(row, name) for name in FIGURE_FIELDS}
    return minute
