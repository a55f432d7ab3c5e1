from django.apps import AppConfig


class FixConfig(AppConfig):
    name = "gateways.fix"
    label = "fix"
    verbose_name = "FIX gateway"
    default_auto_field = "django.db.models.BigAutoField"
