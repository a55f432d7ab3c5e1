"""Ops pages of the reports in the admin (mounted at /admin/reports/): the venue's report of one day
(volume and trades per symbol, fees collected, engine lag p99, refusals by code, top accounts by
volume) with charts, and the same figures over the last 30 days as charts. Today is computed live;
past days read the rows the nightly task stored (and are computed when missing)."""

from datetime import date
from decimal import Decimal

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.safestring import mark_safe

from orders.risk_selectors import trading_day
from reports.charts import bar_chart, line_chart
from reports.selectors import venue_days
from reports.venue import last_days, venue_day_figures


def _context(request, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


def _chosen_day(raw: str | None) -> tuple[date, str | None]:
    today = trading_day()
    if not raw:
        return today, None
    try:
        chosen = date.fromisoformat(raw)
    except ValueError:
        return today, f"Not a day: {raw!r} (YYYY-MM-DD); showing today."
    if chosen > today:
        return today, "That day has not come yet; showing today."
    return chosen, None


@permission_required("orders.view_order", raise_exception=True)
def venue_day_view(request):
    day, error = _chosen_day(request.GET.get("day"))
    stored = venue_days(days=[day]) if day != trading_day() else {}
    figures = stored.get(day) or venue_day_figures(day=day)
    symbols = [s["symbol"] for s in figures["symbols"]]
    charts = [
        bar_chart(title="Trades per symbol", labels=symbols, values=[s["trades"] for s in figures["symbols"]]),
        bar_chart(title="Notional per symbol", labels=symbols,
                  values=[float(Decimal(s["notional"])) for s in figures["symbols"]]),
        bar_chart(title="Refusals by code", labels=list(figures["refusals"]), values=list(figures["refusals"].values())),
        bar_chart(title="Top accounts by notional", labels=[a["account"] for a in figures["top_accounts"]],
                  values=[float(Decimal(a["notional"])) for a in figures["top_accounts"]]),
    ]
    return TemplateResponse(request, "admin/reports/venue_day.html", _context(
        request, f"Venue report of {day.isoformat()} (UTC)", figures=figures, day=day, error=error,
        charts=[mark_safe(chart) for chart in charts]))  # noqa: S308 - built by reports.charts, every text escaped


@permission_required("orders.view_order", raise_exception=True)
def venue_days_view(request):
    today = trading_day()
    days = last_days(until=today, days=30)
    stored = venue_days(days=days[:-1])
    rows = [stored.get(day) or venue_day_figures(day=day) for day in days]
    labels = [day.isoformat()[5:] for day in days]
    series = [
        ("Trades per day", [r["trades"] for r in rows], ""),
        ("Notional per day", [float(Decimal(r["notional"])) for r in rows], ""),
        ("Fees collected per day", [float(Decimal(r["fees"])) for r in rows], ""),
        ("Engine lag p99 (ms)", [r["engine_lag_p99_ms"] for r in rows], " ms"),
        ("Refusals per day", [sum(r["refusals"].values()) for r in rows], ""),
    ]
    charts = [mark_safe(line_chart(title=title, labels=labels, values=values, unit=unit))  # noqa: S308 - escaped
              for title, values, unit in series]
    return TemplateResponse(request, "admin/reports/venue_days.html", _context(
        request, "Venue: the last 30 days", charts=charts, rows=list(zip(days, rows))))


urlpatterns = [
    path("venue-day/", admin.site.admin_view(venue_day_view), name="reports-venue-day"),
    path("venue-30-days/", admin.site.admin_view(venue_days_view), name="reports-venue-days"),
]
