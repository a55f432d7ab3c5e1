"""Instruments. Halting and resuming go through the ops services, which tell the engine; the
status itself is not editable in the form."""

from django import forms
from django.contrib import admin, messages

from common.errors import ServiceError
from marketdata.models import Instrument
from orders.services.ops import instrument_grid_change_check, instrument_halt, instrument_resume


class InstrumentForm(forms.ModelForm):
    class Meta:
        model = Instrument
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.errors:
            try:
                instrument_grid_change_check(instrument=Instrument.objects.get(pk=self.instance.pk),
                                             tick_size=cleaned.get("tick_size"), lot_size=cleaned.get("lot_size"))
            except ServiceError as refusal:
                raise forms.ValidationError({refusal.field: refusal.detail}) from None
        return cleaned


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    form = InstrumentForm
    list_display = ("symbol", "name", "status", "reference_price", "last_price", "tick_size", "lot_size", "price_band",
                    "maker_fee_rate", "taker_fee_rate", "currency")
    list_display_links = ("symbol", "name")
    list_filter = ("status", "currency")
    search_fields = ("symbol", "name")
    ordering = ("symbol",)
    # The status changes only through the halt/resume actions; the last price comes from trades.
    readonly_fields = ("status", "last_price")
    actions = ("halt_selected", "resume_selected")
    fieldsets = (
        (None, {"fields": ("symbol", "name", "currency", "status")}),
        ("Trading rules", {"fields": ("tick_size", "lot_size", "price_band", "max_order_qty", "max_order_notional")}),
        ("Prices", {"fields": ("reference_price", "last_price")}),
        ("Fees", {"fields": ("maker_fee_rate", "taker_fee_rate")}),
    )

    def _set_status(self, request, queryset, *, service, verb: str, skip_status: str):
        changed = []
        for instrument in queryset.order_by("symbol"):
            if instrument.status == skip_status:
                self.message_user(request, f"{instrument.symbol} is already {skip_status}.", messages.WARNING)
                continue
            service(instrument=instrument)
            self.log_change(request, instrument, f"{verb} by ops")
            changed.append(instrument.symbol)
        if changed:
            self.message_user(request, f"{verb.capitalize()}: {', '.join(changed)}.", messages.SUCCESS)

    @admin.action(description="Halt trading in the selected instruments", permissions=["change"])
    def halt_selected(self, request, queryset):
        self._set_status(request, queryset, service=instrument_halt, verb="halted", skip_status=Instrument.Status.HALTED)

    @admin.action(description="Resume trading in the selected instruments", permissions=["change"])
    def resume_selected(self, request, queryset):
        self._set_status(request, queryset, service=instrument_resume, verb="resumed",
                         skip_status=Instrument.Status.TRADING)
