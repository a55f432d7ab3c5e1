"""Orders (with the cancel action), trades, the ledger, positions and transfers: read-only."""

from django.contrib import admin, messages

from common.errors import ServiceError
from orders.admin.base import ReadOnlyAdmin, search_ids
from orders.models import LedgerEntry, Order, Position, PositionTransfer, Trade
from orders.services import order_cancel


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "instrument", "side", "type", "time_in_force", "qty", "limit_price", "stop_price",
                    "status", "filled_qty", "avg_fill_price", "reserved_cash", "client_order_id", "created_at")
    list_filter = ("status", "side", "type", "time_in_force", "instrument")
    search_fields = ("client_order_id", "account__user__username")
    list_select_related = ("account__user", "instrument")
    date_hierarchy = "created_at"
    actions = ("cancel_selected",)

    def get_search_results(self, request, queryset, search_term):
        return search_ids(self, request, queryset, search_term, ["pk"])

    def has_cancel_permission(self, request):
        return request.user.has_perm("orders.change_order")

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        for order in queryset.select_related("account__user", "instrument").order_by("pk"):
            try:
                canceled = order_cancel(account=order.account, order_id=order.pk)
            except ServiceError as error:
                self.message_user(request, f"Order #{order.pk}: not canceled: {error.detail}", messages.WARNING)
                continue
            self.log_change(request, canceled, "cancel requested by ops")
            self.message_user(request, f"Order #{order.pk} ({order.account} {order.instrument}): cancel requested, "
                                       f"now {canceled.status}.", messages.SUCCESS)


@admin.register(Trade)
class TradeAdmin(ReadOnlyAdmin):
    list_display = ("id", "instrument", "price", "qty", "aggressor_side", "maker_order", "taker_order", "maker_fee",
                    "taker_fee", "seq", "created_at")
    list_filter = ("instrument", "aggressor_side")
    search_fields = ("maker_order__account__user__username", "taker_order__account__user__username")
    list_select_related = ("instrument", "maker_order__instrument", "taker_order__instrument")
    date_hierarchy = "created_at"

    def get_search_results(self, request, queryset, search_term):
        return search_ids(self, request, queryset, search_term, ["pk", "maker_order_id", "taker_order_id"])


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "txn", "account", "kind", "amount", "trade", "memo", "created_at")
    list_filter = ("kind", "account__kind")
    search_fields = ("txn", "account__user__username", "memo")
    list_select_related = ("account__user",)
    date_hierarchy = "created_at"

    def get_search_results(self, request, queryset, search_term):
        return search_ids(self, request, queryset, search_term, ["pk", "trade_id", "account_id"])


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "instrument", "qty", "reserved_qty", "avg_price", "realized_pl")
    list_filter = ("instrument",)
    search_fields = ("account__user__username", "instrument__symbol")
    list_select_related = ("account__user", "instrument")


@admin.register(PositionTransfer)
class PositionTransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "account", "instrument", "qty", "price", "memo", "created_at")
    list_filter = ("instrument",)
    search_fields = ("account__user__username", "instrument__symbol", "memo")
    list_select_related = ("account__user", "instrument")
    date_hierarchy = "created_at"
