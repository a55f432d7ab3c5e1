"""The login forms (the site's and the admin's): Django's, with the lockout after too many failed
attempts for an account or from an address (orders.services.auth_attempts), the right password
included while locked."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from common.errors import ServiceError
from orders.services.auth_attempts import auth_attempt_check, auth_attempt_failed, auth_attempt_succeeded

LOCKED_OUT = "Too many failed logins for this account or from this address. %(detail)s"


class LockoutMixin:
    def clean(self):
        username = self.data.get("username") if isinstance(self.data.get("username"), str) else None
        address = self.request.META.get("REMOTE_ADDR") if self.request is not None else None
        try:
            auth_attempt_check(account=username, address=address)
        except ServiceError as error:
            raise forms.ValidationError(LOCKED_OUT, code="locked_out", params={"detail": error.detail}) from None
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            auth_attempt_failed(account=username, address=address)
            raise
        auth_attempt_succeeded(account=username)
        return cleaned


class LockoutAuthenticationForm(LockoutMixin, AuthenticationForm):
    pass


class AdminLockoutAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    pass


class ApiKeyForm(forms.Form):
    label = forms.CharField(max_length=100, required=False, help_text="What the key is for.")
    scope = forms.ChoiceField(choices=[("read", "Read: market data, my account and orders"),
                                       ("trade", "Trade: read, and place, replace and cancel orders")],
                              initial="read", widget=forms.RadioSelect)
