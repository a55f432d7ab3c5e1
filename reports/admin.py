"""Stored statements and venue days, read-only (built by the reports' Celery tasks)."""

from django.contrib import admin

from orders.admin.base import ReadOnlyAdmin
from reports.models import Statement, VenueDay


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("day", "account", "opening_cash", "deposits", "withdrawals", "trades_cash", "fees", "closing_cash",
                    "realized_pl", "trade_count")
    list_filter = ("day",)
    search_fields = ("account__user__username",)
    list_select_related = ("account__user",)
    exclude = ("csv", "pdf")
    date_hierarchy = "day"


@admin.register(VenueDay)
class VenueDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "created_at")
