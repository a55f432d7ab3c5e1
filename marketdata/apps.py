from django.apps import AppConfig


class MarketdataConfig(AppConfig):
    name = "marketdata"
    verbose_name = "Market data"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from marketdata.models import Instrument
        from marketdata.selectors import instrument_cache_clear

        post_save.connect(instrument_cache_clear, sender=Instrument, dispatch_uid="instrument_cache_save")
        post_delete.connect(instrument_cache_clear, sender=Instrument, dispatch_uid="instrument_cache_delete")
