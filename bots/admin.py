from django.contrib import admin, messages
from django.utils import timezone

from bots.models import BotConfig


@admin.register(BotConfig)
class BotConfigAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "username", "enabled", "symbols", "interval_seconds", "order_qty", "spread_bps",
                    "levels", "skew_bps", "max_inventory", "updated_at")
    list_editable = ("enabled",)
    list_filter = ("kind", "enabled")
    search_fields = ("name", "username", "symbols")
    readonly_fields = ("updated_at",)
    actions = ("enable_selected", "disable_selected")
    fieldsets = (
        (None, {"fields": ("name", "kind", "username", "enabled", "symbols", "interval_seconds", "order_qty",
                           "max_inventory", "updated_at")}),
        ("Market maker", {"fields": ("spread_bps", "levels", "level_spacing_bps", "skew_bps", "requote_ticks")}),
    )

    @admin.action(description="Enable the selected bots", permissions=["change"])
    def enable_selected(self, request, queryset):
        count = queryset.update(enabled=True, updated_at=timezone.now())
        self.message_user(request, f"Enabled {count} bot(s); run_bots starts them within seconds.", messages.SUCCESS)

    @admin.action(description="Disable the selected bots (they cancel their quotes)", permissions=["change"])
    def disable_selected(self, request, queryset):
        count = queryset.update(enabled=False, updated_at=timezone.now())
        self.message_user(request, f"Disabled {count} bot(s); run_bots stops them within seconds.", messages.SUCCESS)
