"""API keys: listed with their owner, scopes and last use; ops revoke them (through the service, so
the revocation reaches every process at once). Secrets are never shown: only their owner saw it."""

from django.contrib import admin, messages

from orders.admin.base import ReadOnlyAdmin
from orders.models import ApiKey
from orders.services.api_keys import api_key_revoke_any


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("key_id", "user", "label", "scope_list", "created_at", "last_used_at", "revoked_at")
    list_filter = ("can_trade", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("key_id", "user__username", "label")
    list_select_related = ("user",)
    exclude = ("secret_hash",)
    actions = ("revoke_selected",)

    @admin.display(description="scopes")
    def scope_list(self, key: ApiKey) -> str:
        return ", ".join(key.scopes)

    def has_revoke_permission(self, request):
        return request.user.has_perm("orders.change_apikey")

    @admin.action(description="Revoke the selected API keys (they stop working at once)", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        revoked = []
        for key in queryset.order_by("pk"):
            if key.revoked_at is None:
                api_key_revoke_any(key=key)
                self.log_change(request, key, "revoked by ops")
                revoked.append(key.key_id)
        self.message_user(request, f"Revoked: {', '.join(revoked) or 'none (already revoked)'}.", messages.SUCCESS)
