from django.apps import AppConfig


class TradeappConfig(AppConfig):
    name = "tradeapp"
    verbose_name = "Venue"
