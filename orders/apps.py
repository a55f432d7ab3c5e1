from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders and accounts"

    def ready(self) -> None:
        from orders.api.authentication import connect_signals

        connect_signals()  # cached API tokens are dropped when a token or its user changes
        from django.db.models.signals import post_delete, post_save

        from orders.models import RiskLimit
        from orders.services.risk_limits import risk_limits_cache_clear

        post_save.connect(risk_limits_cache_clear, sender=RiskLimit, dispatch_uid="risk_limits_save")
        post_delete.connect(risk_limits_cache_clear, sender=RiskLimit, dispatch_uid="risk_limits_delete")
