from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders and accounts"

    def ready(self) -> None:
        from orders.api.authentication import connect_signals

        connect_signals()  # cached API tokens are dropped when a token or its user changes
