"""Minute history of the figures, the stream checkpoint, users' alerts and ops alerts."""

from django.db import models

PRICE = {"max_digits": 20, "decimal_places": 8}
QTY = {"max_digits": 20, "decimal_places": 8}
SUM = {"max_digits": 30, "decimal_places": 10}  # sums of qty x price over a minute


class AnalyticsMinute(models.Model):
    """One minute of one symbol as `run_analytics` folded it (analytics.figures.Minute), with the
    trade figures as the minute ended (the current minute's as of the last write)."""

    instrument = models.ForeignKey("marketdata.Instrument", on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    trades = models.IntegerField(default=0)
    volume = models.DecimalField(**QTY, default=0)
    notional = models.DecimalField(**SUM, default=0)
    buy_volume = models.DecimalField(**QTY, default=0)
    sell_volume = models.DecimalField(**QTY, default=0)
    open = models.DecimalField(**PRICE, null=True)
    high = models.DecimalField(**PRICE, null=True)
    low = models.DecimalField(**PRICE, null=True)
    close = models.DecimalField(**PRICE, null=True)
    quotes = models.IntegerField(default=0)
    spreads = models.IntegerField(default=0)
    spread_sum = models.DecimalField(**SUM, default=0)
    spread_min = models.DecimalField(**PRICE, null=True)
    spread_max = models.DecimalField(**PRICE, null=True)
    bid_qty_sum = models.DecimalField(**SUM, default=0)
    ask_qty_sum = models.DecimalField(**SUM, default=0)
    bid = models.DecimalField(**PRICE, null=True)
    ask = models.DecimalField(**PRICE, null=True)
    bid_qty = models.DecimalField(**QTY, null=True)
    ask_qty = models.DecimalField(**QTY, null=True)
    session_vwap = models.DecimalField(**PRICE, null=True)
    vwap_5m = models.DecimalField(**PRICE, null=True)
    twap = models.DecimalField(**PRICE, null=True)
    volatility_30m = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["instrument", "minute"], name="one_analytics_row_per_minute")]
        ordering = ["instrument", "minute"]


class StreamCheckpoint(models.Model):
    """The last engine-stream entry whose results are in the database (written in the same
    transaction): entries up to it are skipped when `run_analytics` reads them again."""

    name = models.CharField(max_length=32, primary_key=True)
    last_id = models.CharField(max_length=40)
    updated_at = models.DateTimeField(auto_now=True)


class Alert(models.Model):
    class Kind(models.TextChoices):
        PRICE_ABOVE = "price_above"  # a trade at or above `threshold`
        PRICE_BELOW = "price_below"  # a trade at or below `threshold`
        PERCENT_MOVE = "percent_move"  # |last / close N minutes ago - 1| >= threshold %
        VOLUME_SPIKE = "volume_spike"  # this minute's volume >= threshold x the mean of the N before
        FILL = "fill"  # each fill of mine (of `symbol` if set); stays active

    class Status(models.TextChoices):
        ACTIVE = "active"
        TRIGGERED = "triggered"

    account = models.ForeignKey("orders.Account", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    instrument = models.ForeignKey("marketdata.Instrument", null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="+")
    threshold = models.DecimalField(**PRICE, null=True, blank=True)
    window_minutes = models.IntegerField(null=True, blank=True)
    email = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    triggered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status"], name="alert_status")]


class AlertTrigger(models.Model):
    """One firing of an alert (a fill alert fires once per fill: `trade_id` keeps it once)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="triggers")
    account = models.ForeignKey("orders.Account", on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=200)
    price = models.DecimalField(**PRICE, null=True)
    trade_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["alert", "trade_id"], name="one_trigger_per_alert_trade")]


class OpsAlert(models.Model):
    """Something ops must look at (analytics.services.ops_alert_raise); listed in the admin."""

    class Kind(models.TextChoices):
        ENGINE_LAG = "engine_lag"
        FEED_STALE = "feed_stale"
        AUDIT = "audit"
        RISK_BREACH = "risk_breach"
        OTHER = "other"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=64, blank=True, default="")  # a symbol, an account, a shard
    detail = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "subject", "created_at"], name="ops_alert_lookup")]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}".strip()
