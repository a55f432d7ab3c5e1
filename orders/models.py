"""Accounts, positions, orders, trades and the ledger: the system of record."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 20, "decimal_places": 2}
PRICE = {"max_digits": 20, "decimal_places": 8}
QTY = {"max_digits": 20, "decimal_places": 8}
ZERO = Decimal("0")
# Balance CHECKs allow half of the last place below zero: PostgreSQL's NUMERIC is exact and cannot
# land there, but SQLite adds in floating point, where 999.80 - 399.92 - 599.88 is -1e-13.
HALF_CENT = Decimal("0.005")
HALF_QTY_PLACE = Decimal("0.000000005")


class Account(models.Model):
    class Kind(models.TextChoices):
        TRADER = "trader"
        HOUSE = "house"  # receives fees
        EXTERNAL = "external"  # the other side of deposits and withdrawals

    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TRADER)
    currency = models.CharField(max_length=3, default="USD")
    cash = models.DecimalField(**MONEY, default=ZERO)
    reserved_cash = models.DecimalField(**MONEY, default=ZERO)
    frozen = models.BooleanField(default=False)
    # Why the account is frozen (shown in the refusal): empty when ops froze it by hand.
    frozen_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    # The seq of the account's last private event (PrivateEvent): raised by the engine worker in the
    # batch's own statement on this row, so the events' seq is gap-free per account.
    event_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(reserved_cash__gt=-HALF_CENT), name="account_reserved_cash_nonnegative"),
            models.CheckConstraint(
                condition=Q(kind="external") | Q(cash__gt=models.F("reserved_cash") - HALF_CENT),
                name="account_cash_covers_reserved",
            ),
            models.UniqueConstraint(fields=["kind"], condition=~Q(kind="trader"), name="one_house_one_external"),
        ]

    def __str__(self) -> str:
        return self.user.username if self.user_id else self.kind

    @property
    def buying_power(self) -> Decimal:
        return self.cash - self.reserved_cash


class Position(models.Model):
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="positions")
    instrument = models.ForeignKey("marketdata.Instrument", on_delete=models.PROTECT, related_name="positions")
    qty = models.DecimalField(**QTY, default=ZERO)
    reserved_qty = models.DecimalField(**QTY, default=ZERO)
    avg_price = models.DecimalField(**PRICE, default=ZERO)
    realized_pl = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "instrument"], name="one_position_per_instrument"),
            models.CheckConstraint(condition=Q(reserved_qty__gt=-HALF_QTY_PLACE), name="position_reserved_nonnegative"),
            models.CheckConstraint(condition=Q(qty__gt=models.F("reserved_qty") - HALF_QTY_PLACE),
                                   name="position_covers_reserved"),
        ]


class Order(models.Model):
    class Side(models.TextChoices):
        BUY = "buy"
        SELL = "sell"

    class Type(models.TextChoices):
        LIMIT = "limit"
        MARKET = "market"
        STOP = "stop"
        STOP_LIMIT = "stop_limit"
        MIDPOINT = "midpoint"  # the dark pool: pegged to the lit midpoint, limit_price an optional cap

    class TimeInForce(models.TextChoices):
        GTC = "gtc"
        DAY = "day"
        IOC = "ioc"
        FOK = "fok"

    class Status(models.TextChoices):
        ACCEPTED = "accepted"
        NEW = "new"
        PARTIALLY_FILLED = "partially_filled"
        PENDING_CANCEL = "pending_cancel"
        FILLED = "filled"
        CANCELED = "canceled"
        REJECTED = "rejected"
        EXPIRED = "expired"

    OPEN_STATUSES = (Status.ACCEPTED, Status.NEW, Status.PARTIALLY_FILLED, Status.PENDING_CANCEL)
    FINAL_STATUSES = (Status.FILLED, Status.CANCELED, Status.REJECTED, Status.EXPIRED)
    # Status only moves to a higher rank (final states share the top rank).
    RANK = {Status.ACCEPTED: 0, Status.NEW: 1, Status.PARTIALLY_FILLED: 2, Status.PENDING_CANCEL: 3,
            Status.FILLED: 4, Status.CANCELED: 4, Status.REJECTED: 4, Status.EXPIRED: 4}

    # Every index is written for every new order and again for each status change, so only the ones
    # queries need: the foreign keys lead the composite indexes below, which serve their lookups.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="orders", db_index=False)
    instrument = models.ForeignKey("marketdata.Instrument", on_delete=models.PROTECT, related_name="orders",
                                   db_index=False)
    client_order_id = models.CharField(max_length=64, null=True, blank=True)
    side = models.CharField(max_length=4, choices=Side.choices)
    type = models.CharField(max_length=10, choices=Type.choices)
    time_in_force = models.CharField(max_length=3, choices=TimeInForce.choices, default=TimeInForce.GTC)
    post_only = models.BooleanField(default=False)
    qty = models.DecimalField(**QTY)
    limit_price = models.DecimalField(**PRICE, null=True, blank=True)
    stop_price = models.DecimalField(**PRICE, null=True, blank=True)
    # A midpoint order's minimum fill quantity (None: any).
    min_qty = models.DecimalField(**QTY, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACCEPTED)
    filled_qty = models.DecimalField(**QTY, default=ZERO)
    # Sum of qty x price of the fills, exact (a midpoint fill may be half a tick: 7 x 100.025).
    filled_notional = models.DecimalField(max_digits=28, decimal_places=8, default=ZERO)
    reject_reason = models.CharField(max_length=64, blank=True, default="")
    # Cash still held for this buy order (released as it fills or closes).
    reserved_cash = models.DecimalField(**MONEY, default=ZERO)
    # The price the cash reservation was computed at (limit price, or the collar for market buys).
    reserve_price = models.DecimalField(**PRICE, null=True, blank=True)
    # A replace waiting for the engine: the requested qty and price.
    replace_qty = models.DecimalField(**QTY, null=True, blank=True)
    replace_limit_price = models.DecimalField(**PRICE, null=True, blank=True)
    # The engine sequence at which the order took its current place in the book (its time
    # priority); recovery restores open orders in this order.
    engine_seq = models.BigIntegerField(null=True, blank=True)
    stop_triggered = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    engine_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "client_order_id"], name="client_order_id_unique_per_account"),
            models.CheckConstraint(condition=Q(filled_qty__lte=models.F("qty")), name="order_not_overfilled"),
            models.CheckConstraint(condition=Q(reserved_cash__gte=0), name="order_reserved_nonnegative"),
        ]
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["instrument", "status"]),
            # Not db_index=True: on PostgreSQL that adds a second, LIKE-pattern index nothing uses.
            models.Index(fields=["status"], name="order_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.side} {self.qty} {self.instrument_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def avg_fill_price(self) -> Decimal | None:
        if not self.filled_qty:
            return None
        return self.filled_notional / self.filled_qty


class Trade(models.Model):
    # Indexed first in one_trade_per_engine_seq.
    instrument = models.ForeignKey("marketdata.Instrument", on_delete=models.PROTECT, related_name="trades",
                                   db_index=False)
    price = models.DecimalField(**PRICE)
    qty = models.DecimalField(**QTY)
    aggressor_side = models.CharField(max_length=4, choices=Order.Side.choices)
    maker_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="maker_trades")
    taker_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="taker_trades")
    maker_fee = models.DecimalField(**MONEY, default=ZERO)
    taker_fee = models.DecimalField(**MONEY, default=ZERO)
    seq = models.BigIntegerField()  # the engine's per-symbol sequence of the trade event
    dark = models.BooleanField(default=False)  # a dark pool (midpoint) trade
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["instrument", "seq"], name="one_trade_per_engine_seq")]


class LedgerEntry(models.Model):
    """One leg of a balanced transaction: the legs sharing a `txn` sum to zero."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit"
        WITHDRAWAL = "withdrawal"
        TRADE = "trade"
        FEE = "fee"

    txn = models.CharField(max_length=40)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)  # signed: positive credits the account
    trade = models.ForeignKey(Trade, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger")
    memo = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["txn"], name="ledger_txn")]  # without db_index's LIKE-pattern twin


class PositionTransfer(models.Model):
    """Securities moved into (or out of) the venue by ops: the only way quantity appears
    or leaves. Trades only move it between accounts, which `manage.py audit` checks."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="position_transfers")
    instrument = models.ForeignKey("marketdata.Instrument", on_delete=models.PROTECT)
    qty = models.DecimalField(**QTY)  # signed
    price = models.DecimalField(**PRICE)
    memo = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)


class ApiKey(models.Model):
    """A user's credential for programs: key id (public) and secret (shown once, kept only as its
    SHA-256: a random 256-bit secret needs no slow hash). Scope `read`, or `trade` as well."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    key_id = models.CharField(max_length=20, unique=True)
    secret_hash = models.CharField(max_length=64)
    label = models.CharField(max_length=100, blank=True, default="")
    can_trade = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return self.key_id

    @property
    def scopes(self) -> list[str]:
        return ["read", "trade"] if self.can_trade else ["read"]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class EngineShard(models.Model):
    """The fencing token of an engine shard: the epoch of the process that holds its lease
    (orders/worker/lease.py). Every batch commits only if the row still carries its epoch, so a
    process that lost its lease can never write another batch."""

    shards = models.PositiveSmallIntegerField()
    shard = models.PositiveSmallIntegerField()
    epoch = models.BigIntegerField(default=0)
    owner = models.CharField(max_length=100, blank=True, default="")
    acquired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shards", "shard"], name="one_row_per_engine_shard")]

    def __str__(self) -> str:
        return f"shard {self.shard}/{self.shards} epoch {self.epoch}"


class PrivateEvent(models.Model):
    """One message of an account's private stream (`order_update`, `account`, `position`), as sent:
    `body` is the message's JSON text, `seq` and `type` included. Written by the engine worker in the
    transaction of the batch that caused it; `seq` grows by exactly one per account
    (Account.event_seq). Kept PRIVATE_EVENTS_RETENTION_DAYS (orders.private_events_prune).
    See docs/realtime.md, "Private stream"."""

    pk = models.CompositePrimaryKey("account_id", "seq")
    # No foreign key constraint: each insert would check it row by row; accounts are never deleted.
    account = models.ForeignKey(Account, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                                related_name="+")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=16)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="private_event_created")]  # the pruning

    def __str__(self) -> str:
        return f"{self.account_id}#{self.seq} {self.type}"


class RiskLimit(models.Model):
    """An account's risk limits, set by ops in the admin (docs/risk.md). Each empty field is no
    limit. Checked at order entry (orders/services/risk_limits.py); the daily loss is also watched
    as prices move by the analytics process, which trips the account (orders/services/trip.py)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="risk_limit")
    max_position_qty = models.DecimalField(**QTY, null=True, blank=True,
                                           help_text="Per symbol: held plus open buys, in units.")
    max_gross_exposure = models.DecimalField(**MONEY, null=True, blank=True,
                                             help_text="Positions at their mark plus every open buy, in cash.")
    max_open_notional = models.DecimalField(**MONEY, null=True, blank=True,
                                            help_text="Open orders (both sides, unfilled part), in cash.")
    max_daily_loss = models.DecimalField(**MONEY, null=True, blank=True,
                                         help_text="A positive amount: today's P&L at or below minus this trips the account.")
    max_orders_per_second = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(max_position_qty__isnull=True) | Q(max_position_qty__gt=0),
                                   name="risk_max_position_positive"),
            models.CheckConstraint(condition=Q(max_gross_exposure__isnull=True) | Q(max_gross_exposure__gt=0),
                                   name="risk_max_gross_positive"),
            models.CheckConstraint(condition=Q(max_open_notional__isnull=True) | Q(max_open_notional__gt=0),
                                   name="risk_max_open_positive"),
            models.CheckConstraint(condition=Q(max_daily_loss__isnull=True) | Q(max_daily_loss__gt=0),
                                   name="risk_max_daily_loss_positive"),
        ]

    def __str__(self) -> str:
        return f"risk limits of {self.account}"


class RiskEvent(models.Model):
    """The risk audit trail of an account: trips of its kill switch, unfreezes, limit changes."""

    class Kind(models.TextChoices):
        TRIP = "trip"
        UNFREEZE = "unfreeze"
        LIMITS = "limits"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="risk_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    code = models.CharField(max_length=40, blank=True, default="")
    detail = models.CharField(max_length=500, blank=True, default="")
    # Who did it: an ops user, or nobody when the risk monitor did.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    canceled_orders = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
