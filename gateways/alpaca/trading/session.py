"""Alpaca's clock and calendar from the venue's session schedule.

The venue trades continuously; its session ends each day at SESSION_CLOSE_UTC, when DAY orders
expire (orders.tasks.expire_day_orders), and the next session starts at once. So a calendar day
runs from 00:00 to the close in UTC, `next_close` is the coming close and `next_open` is the
moment after it. The market is open unless every instrument is halted (the kill switch)."""

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings

from marketdata.models import Instrument

MAX_CALENDAR_DAYS = 3660


def session_close_time() -> time:
    hours, minutes = settings.SESSION_CLOSE_UTC.split(":")
    return time(int(hours), int(minutes), tzinfo=UTC)


def next_close(now: datetime) -> datetime:
    close = datetime.combine(now.date(), session_close_time())
    return close if close > now else close + timedelta(days=1)


def clock_json(now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    closing = next_close(now)
    is_open = Instrument.objects.filter(status=Instrument.Status.TRADING).exists()
    return {"timestamp": now.isoformat(), "is_open": is_open, "next_open": closing.isoformat(),
            "next_close": closing.isoformat()}


def calendar_json(start: date, end: date) -> list[dict]:
    close = session_close_time().strftime("%H:%M")
    days = []
    day = start
    while day <= end:
        text = day.isoformat()
        days.append({"date": text, "open": "00:00", "close": close, "session_open": "0000",
                     "session_close": close.replace(":", ""), "settlement_date": text})
        day += timedelta(days=1)
    return days
