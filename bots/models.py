"""Bot configuration, editable by ops in the admin. `run_bots` creates the defaults of
settings.BOTS once (by name) and re-reads this table every BOTS_RELOAD_INTERVAL seconds."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

DECIMAL = {"max_digits": 20, "decimal_places": 8}
BPS = {"max_digits": 10, "decimal_places": 4, "validators": [MinValueValidator(Decimal("0"))]}


class BotConfig(models.Model):
    class Kind(models.TextChoices):
        MARKET_MAKER = "market_maker", "Market maker"
        TAKER = "taker", "Noise taker"

    name = models.SlugField(max_length=32, unique=True, help_text="Appears in the bot's client order ids.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    username = models.CharField(max_length=150, help_text="The user whose account the bot trades (e.g. bot-mm).")
    enabled = models.BooleanField(default=True)
    symbols = models.CharField(
        max_length=500, blank=True, default="",
        validators=[RegexValidator(r"^[A-Za-z0-9./, -]*$", "Comma-separated symbols.")],
        help_text="Comma-separated symbols; empty means every instrument.")
    interval_seconds = models.DecimalField(
        max_digits=8, decimal_places=3, default=Decimal("1.0"), validators=[MinValueValidator(Decimal("0.05"))],
        help_text="Market maker: seconds between requotes. Taker: mean seconds between orders.")
    order_qty = models.DecimalField(
        **DECIMAL, default=Decimal("100"), validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text="Market maker: size of each quote. Taker: largest order (sizes are random, in lots).")
    spread_bps = models.DecimalField(**BPS, default=Decimal("10"),
                                     help_text="Distance from best bid to best ask, in basis points of the reference.")
    levels = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1), MaxValueValidator(10)],
                                              help_text="Quotes per side.")
    level_spacing_bps = models.DecimalField(**BPS, default=Decimal("10"),
                                            help_text="Extra distance of each further level, in basis points.")
    max_inventory = models.DecimalField(
        **DECIMAL, default=Decimal("1000"), validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text="Deviation from the target position (what the account was granted) at which the skew is full.")
    skew_bps = models.DecimalField(**BPS, default=Decimal("10"),
                                   help_text="Market maker: how far the quotes shift at full inventory, in basis points.")
    requote_ticks = models.PositiveIntegerField(
        default=1, help_text="Market maker: replace a quote when its price is more than this many ticks off.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "bot config"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.MARKET_MAKER and not self.spread_bps:
            raise ValidationError({"spread_bps": "A market maker needs a spread above zero."})

    @property
    def symbol_list(self) -> list[str]:
        return [s.strip().upper() for s in self.symbols.split(",") if s.strip()]
