"""Risk limits per account (set by ops; every change recorded in the account's risk trail) and that
trail: trips of an account's kill switch, unfreezes, limit changes (docs/risk.md)."""

from django.contrib import admin

from orders.admin.base import ReadOnlyAdmin
from orders.models import RiskEvent, RiskLimit
from orders.services.risk_limits import risk_limit_save


@admin.register(RiskLimit)
class RiskLimitAdmin(admin.ModelAdmin):
    list_display = ("account", "max_position_qty", "max_gross_exposure", "max_open_notional", "max_daily_loss",
                    "max_orders_per_second", "updated_at")
    list_select_related = ("account__user",)
    search_fields = ("account__user__username",)
    raw_id_fields = ("account",)
    fields = ("account", "max_position_qty", "max_gross_exposure", "max_open_notional", "max_daily_loss",
              "max_orders_per_second")

    def save_model(self, request, obj, form, change):
        risk_limit_save(limit=obj, user=request.user)


@admin.register(RiskEvent)
class RiskEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "account", "kind", "code", "detail", "canceled_orders", "user")
    list_filter = ("kind", "code")
    search_fields = ("account__user__username", "detail")
    list_select_related = ("account__user", "user")
    date_hierarchy = "created_at"
