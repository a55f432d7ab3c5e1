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

    def _set_enabled(self, request, queryset, enabled: bool) -> int:
        bots = list(queryset.order_by("pk"))
        queryset.update(enabled=enabled, updated_at=timezone.now())
        for bot in bots:  # the audit trail
            self.log_change(request, bot, "enabled by ops" if enabled else "disabled by ops")
        return len(bots)

    @admin.action(description="Enable the selected bots", permissions=["change"])
    def enable_selected(self, request, queryset):
        count = self._set_enabled(request, queryset, True)
        self.message_user(request, f"Enabled {count} bot(s); run_bots starts them within seconds.", messages.SUCCESS)

    @admin.action(description="Disable the selected bots (they cancel their quotes)", permissions=["change"])
    def disable_selected(self, request, queryset):
        count = self._set_enabled(request, queryset, False)
        self.message_user(request, f"Disabled {count} bot(s); run_bots stops them within seconds.", messages.SUCCESS)
