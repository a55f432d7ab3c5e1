"""Ops admin of FIX sessions: who may connect as what, the sequence numbers (with a reset action,
for a counterparty that starts over) and whether a connection is logged on now."""

from django.contrib import admin, messages

from common.errors import ServiceError
from gateways.fix.models import FixSession
from gateways.fix.services import fix_session_reset


@admin.register(FixSession)
class FixSessionAdmin(admin.ModelAdmin):
    list_display = ("sender_comp_id", "account", "kind", "enabled", "next_in_seq", "next_out_seq", "is_connected",
                    "connected_from", "last_logout_at", "last_logout_reason")
    list_filter = ("kind", "enabled")
    search_fields = ("sender_comp_id",)
    raw_id_fields = ("account",)
    readonly_fields = ("next_in_seq", "next_out_seq", "connected_at", "connected_from", "last_logout_at",
                       "last_logout_reason", "created_at")
    actions = ["reset_sequence_numbers"]

    @admin.display(boolean=True, description="connected")
    def is_connected(self, session: FixSession) -> bool:
        return session.connected

    @admin.action(description="Reset sequence numbers to 1 (disconnected sessions)")
    def reset_sequence_numbers(self, request, queryset):
        done = 0
        for session in queryset:
            try:
                fix_session_reset(session=session)
                done += 1
            except ServiceError as error:
                self.message_user(request, f"{session.sender_comp_id}: {error.detail}", messages.ERROR)
        if done:
            self.message_user(request, f"Reset {done} session(s).", messages.SUCCESS)
