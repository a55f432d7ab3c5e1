"""Accounts: freeze, unfreeze, deposit and withdraw, through the account services."""

from decimal import Decimal
from functools import cache

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template import engines
from django.template.response import TemplateResponse

from common.errors import ServiceError
from orders.admin.base import ReadOnlyInline
from orders.models import Account, Position
from orders.money import CENT
from orders.services import account_deposit, account_set_frozen, account_withdraw, order_cancel_all
from orders.services.trip import account_unfreeze


class CashMovementForm(forms.Form):
    amount = forms.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"),
                                help_text="In the account's currency, whole cents.")
    memo = forms.CharField(max_length=200, required=False, help_text="Shown on the ledger entries.")


CASH_FORM_TEMPLATE = """{% extends "admin/base_site.html" %}{% load admin_urls %}
{% block breadcrumbs %}<div class="breadcrumbs">
<a href="{% url 'admin:index' %}">Home</a> &rsaquo;
<a href="{% url 'admin:app_list' app_label=opts.app_label %}">{{ opts.app_config.verbose_name }}</a> &rsaquo;
<a href="{% url opts|admin_urlname:'changelist' %}">{{ opts.verbose_name_plural|capfirst }}</a> &rsaquo; {{ title }}
</div>{% endblock %}
{% block content %}
<form method="post" id="cash-movement-form">{% csrf_token %}
<p>{{ title }} for each of these accounts (each one is a separate balanced ledger transaction against the
external account):</p>
<table>
<thead><tr><th>account</th><th>kind</th><th>cash</th><th>reserved</th><th>free</th></tr></thead>
<tbody>{% for account in accounts %}
<tr><td>{{ account }}</td><td>{{ account.kind }}</td><td>{{ account.cash }}</td><td>{{ account.reserved_cash }}</td>
<td>{{ account.buying_power }}</td></tr>
{% endfor %}</tbody>
</table>
{{ form.non_field_errors }}
<fieldset class="module aligned">
{% for field in form %}<div class="form-row">{{ field.errors }}{{ field.label_tag }} {{ field }}
<div class="help">{{ field.help_text }}</div></div>{% endfor %}
</fieldset>
{% for account in accounts %}<input type="hidden" name="{{ action_checkbox_name }}" value="{{ account.pk }}">{% endfor %}
<input type="hidden" name="action" value="{{ action }}">
<input type="hidden" name="apply" value="1">
<div class="submit-row">
<input type="submit" class="default" value="{{ title }}">
<a href="{% url opts|admin_urlname:'changelist' %}" class="button cancel-link">Cancel</a>
</div>
</form>
{% endblock %}"""


@cache
def _cash_form_template():
    return engines["django"].from_string(CASH_FORM_TEMPLATE)


class PositionInline(ReadOnlyInline):
    model = Position
    fields = ("instrument", "qty", "reserved_qty", "avg_price", "realized_pl")
    readonly_fields = fields


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "currency", "cash", "reserved_cash", "free_cash", "frozen", "frozen_reason",
                    "created_at")
    list_display_links = ("id", "user")
    list_filter = ("kind", "frozen", "currency")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("user", "kind", "currency", "cash", "reserved_cash", "free_cash", "frozen", "frozen_reason",
                       "created_at")
    fields = readonly_fields
    inlines = (PositionInline,)
    actions = ("freeze", "unfreeze", "cancel_all_orders", "deposit", "withdraw")

    @admin.display(description="free cash")
    def free_cash(self, account):
        return account.buying_power

    def has_add_permission(self, request):
        return False  # accounts come with their users (account_for_user) or are the system accounts

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Balances change only through the actions; one account's page is view-only.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    # Freezing ---------------------------------------------------------------------------
    def _set_frozen(self, request, queryset, frozen: bool):
        done = []
        for account in queryset.select_related("user").order_by("pk"):
            if frozen:
                account_set_frozen(account=account, frozen=True)
            else:
                account_unfreeze(account=account, user=request.user)  # recorded in the risk trail too
            self.log_change(request, account, "frozen" if frozen else "unfrozen")
            done.append(str(account))
        self.message_user(request, f"{'Frozen' if frozen else 'Unfrozen'}: {', '.join(done)}.", messages.SUCCESS)

    @admin.action(description="Freeze the selected accounts (no new orders)", permissions=["change"])
    def freeze(self, request, queryset):
        self._set_frozen(request, queryset, True)

    @admin.action(description="Unfreeze the selected accounts", permissions=["change"])
    def unfreeze(self, request, queryset):
        self._set_frozen(request, queryset, False)

    @admin.action(description="Cancel all open orders of the selected accounts", permissions=["change"])
    def cancel_all_orders(self, request, queryset):
        for account in queryset.select_related("user").order_by("pk"):
            canceled = order_cancel_all(account=account)
            self.log_change(request, account, f"cancel all orders: {len(canceled)} order(s) {canceled}")
            self.message_user(request, f"{account}: cancel requested for {len(canceled)} open order(s).",
                              messages.SUCCESS)

    # Cash -------------------------------------------------------------------------------
    def _move_cash(self, request, queryset, *, action: str, title: str, service, verb: str):
        accounts = list(queryset.select_related("user").order_by("pk"))
        form = CashMovementForm(request.POST if "apply" in request.POST else None)
        if not form.is_bound or not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "accounts": accounts,
                "form": form,
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, _cash_form_template(), context)
        amount, memo = form.cleaned_data["amount"].quantize(CENT), form.cleaned_data["memo"]
        memo = memo or f"{action} by {request.user.get_username()} (admin)"
        for account in accounts:
            if account.kind == Account.Kind.EXTERNAL:
                self.message_user(request, f"{account}: the external account is the other side of every {action}; "
                                           "it cannot take one itself.", messages.ERROR)
                continue
            try:
                account = service(account=account, amount=amount, memo=memo)
            except ServiceError as error:
                self.message_user(request, f"{account}: {action} of {amount} refused: {error.detail}", messages.ERROR)
                continue
            self.log_change(request, account, f"{action} {amount} ({memo})")
            self.message_user(request, f"{account}: {verb} {amount}; cash is now {account.cash}.", messages.SUCCESS)
        return None

    @admin.action(description="Deposit cash into the selected accounts", permissions=["change"])
    def deposit(self, request, queryset):
        return self._move_cash(request, queryset, action="deposit", title="Deposit cash", service=account_deposit,
                               verb="deposited")

    @admin.action(description="Withdraw cash from the selected accounts", permissions=["change"])
    def withdraw(self, request, queryset):
        return self._move_cash(request, queryset, action="withdraw", title="Withdraw cash", service=account_withdraw,
                               verb="withdrew")
