"""Venue-wide operations in the admin: run the audit and read its findings, the kill switch (halt
every symbol and cancel every open order, after a confirmation) and resuming trading. Each runs
through the same services as everything else and is recorded in the audit trail (Django's admin
log, shown under "Audit trail")."""

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from marketdata.models import Instrument
from orders.audit import audit_run, audit_warnings
from orders.models import Order
from orders.services.ops import venue_halt, venue_resume


def record(request, message: str) -> None:
    """A venue-wide ops action in the audit trail (no single object)."""
    LogEntry.objects.create(user_id=request.user.pk, content_type=None, object_id=None, object_repr="venue",
                            action_flag=CHANGE, change_message=message)


def _context(request, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


@permission_required("orders.view_order", raise_exception=True)
def audit_view(request):
    """GET shows the last findings of this page; POST runs the audit now."""
    findings = None
    if request.method == "POST":
        findings = {"violations": audit_run(), "warnings": audit_warnings()}
        record(request, f"audit run: {len(findings['violations'])} violation(s), {len(findings['warnings'])} warning(s)")
    return TemplateResponse(request, "admin/venue/audit.html", _context(request, "Audit of the books", findings=findings))


@permission_required("marketdata.change_instrument", raise_exception=True)
def kill_switch_view(request):
    trading = list(Instrument.objects.filter(status=Instrument.Status.TRADING).order_by("symbol"))
    open_orders = Order.objects.filter(status__in=(Order.Status.ACCEPTED, Order.Status.NEW,
                                                   Order.Status.PARTIALLY_FILLED)).count()
    if request.method == "POST" and request.POST.get("confirm") == "HALT":
        done = venue_halt(cancel_open_orders=True)
        record(request, f"kill switch: halted {', '.join(done['halted']) or 'nothing'}; "
                        f"cancel requested for {len(done['canceled'])} open order(s)")
        messages.success(request, f"Halted {len(done['halted'])} symbol(s); cancel requested for "
                                  f"{len(done['canceled'])} open order(s).")
        return redirect("admin:marketdata_instrument_changelist")
    if request.method == "POST":
        messages.error(request, 'Type HALT to confirm.')
    return TemplateResponse(request, "admin/venue/kill_switch.html",
                            _context(request, "Kill switch: halt the venue", trading=trading, open_orders=open_orders))


@permission_required("marketdata.change_instrument", raise_exception=True)
def resume_view(request):
    halted = list(Instrument.objects.filter(status=Instrument.Status.HALTED).order_by("symbol"))
    if request.method == "POST":
        resumed = venue_resume()
        record(request, f"resume all: {', '.join(resumed) or 'nothing'}")
        messages.success(request, f"Resumed {len(resumed)} symbol(s).")
        return redirect("admin:marketdata_instrument_changelist")
    return TemplateResponse(request, "admin/venue/resume.html",
                            _context(request, "Resume trading in every halted symbol", halted=halted))


urlpatterns = [
    path("audit/", admin.site.admin_view(audit_view), name="venue-audit"),
    path("kill-switch/", admin.site.admin_view(kill_switch_view), name="venue-kill-switch"),
    path("resume/", admin.site.admin_view(resume_view), name="venue-resume"),
]


@admin.register(LogEntry)
class AuditTrailAdmin(admin.ModelAdmin):
    """Every ops action in the admin, as Django records it: who, when, on what, what."""

    list_display = ("action_time", "user", "content_type", "object_repr", "action_flag", "change_message")
    list_filter = ("action_flag", "content_type", "user")
    search_fields = ("object_repr", "change_message", "user__username")
    date_hierarchy = "action_time"
    list_select_related = ("user", "content_type")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
