from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics and alerts"
    default_auto_field = "django.db.models.BigAutoField"
