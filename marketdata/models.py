from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

CENT = Decimal("0.01")


class Instrument(models.Model):
    class Status(models.TextChoices):
        TRADING = "trading"
        HALTED = "halted"

    symbol = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=128)
    currency = models.CharField(max_length=3, default="USD")
    tick_size = models.DecimalField(max_digits=20, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))])
    lot_size = models.DecimalField(max_digits=20, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))])
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.TRADING)
    # Orders priced further than this fraction from the reference (or last) price are refused.
    price_band = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal("0.1000"))
    reference_price = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    last_price = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    max_order_qty = models.DecimalField(max_digits=20, decimal_places=8, default=Decimal("100000"))
    max_order_notional = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal("10000000"))
    maker_fee_rate = models.DecimalField(max_digits=8, decimal_places=6, default=Decimal("0.000100"))
    taker_fee_rate = models.DecimalField(max_digits=8, decimal_places=6, default=Decimal("0.000300"))
    # The engine's counters as of its last persisted batch, so a restarted engine continues them.
    engine_seq = models.BigIntegerField(default=0)
    engine_trade_id = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["symbol"]

    def __str__(self) -> str:
        return self.symbol

    def clean(self) -> None:
        # Every trade's cash leg (qty x price) must land on whole cents.
        if self.tick_size and self.lot_size and (self.tick_size * self.lot_size) % CENT != 0:
            raise ValidationError("tick_size x lot_size must be a multiple of 0.01 so trades settle in cents.")

    @property
    def is_trading(self) -> bool:
        return self.status == self.Status.TRADING

    @property
    def price_places(self) -> int:
        return max(0, -self.tick_size.normalize().as_tuple().exponent)

    @property
    def qty_places(self) -> int:
        return max(0, -self.lot_size.normalize().as_tuple().exponent)


class Candle(models.Model):
    """OHLCV of one instrument over one interval, built from the engine's trades
    (marketdata/candles.py). Buckets without trades have no row."""

    class Interval(models.TextChoices):
        ONE_MINUTE = "1m"
        FIVE_MINUTES = "5m"
        ONE_HOUR = "1h"

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="candles")
    interval = models.CharField(max_length=3, choices=Interval.choices)
    start = models.DateTimeField()  # the bucket's first instant (UTC, aligned to the interval)
    open = models.DecimalField(max_digits=20, decimal_places=8)
    high = models.DecimalField(max_digits=20, decimal_places=8)
    low = models.DecimalField(max_digits=20, decimal_places=8)
    close = models.DecimalField(max_digits=20, decimal_places=8)
    volume = models.DecimalField(max_digits=28, decimal_places=8)
    trade_count = models.IntegerField(default=0)
    # The engine seq of the last trade folded in: trades are folded exactly once.
    last_trade_seq = models.BigIntegerField()

    class Meta:
        ordering = ["instrument", "interval", "start"]
        constraints = [models.UniqueConstraint(fields=["instrument", "interval", "start"], name="one_candle_per_bucket")]
        indexes = [models.Index(fields=["instrument", "last_trade_seq"], name="candle_watermark")]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.interval} {self.start:%Y-%m-%d %H:%M}"
