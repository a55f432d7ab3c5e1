from django.contrib import admin

from analytics.models import Alert, AlertTrigger, OpsAlert
from analytics.services.ops import ops_alert_acknowledge


@admin.register(OpsAlert)
class OpsAlertAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "subject", "detail", "acknowledged")
    list_filter = ("kind", "acknowledged")
    search_fields = ("subject", "detail")
    readonly_fields = ("kind", "subject", "detail", "created_at")
    actions = ["acknowledge"]

    @admin.action(description="Acknowledge the selected ops alerts")
    def acknowledge(self, request, queryset):
        count = ops_alert_acknowledge(ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} ops alert(s) acknowledged.")

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "kind", "instrument", "threshold", "window_minutes", "status", "created_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("account", "instrument")


@admin.register(AlertTrigger)
class AlertTriggerAdmin(admin.ModelAdmin):
    list_display = ("id", "alert", "account", "message", "created_at")
    raw_id_fields = ("alert", "account")
