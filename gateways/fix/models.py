"""FIX sessions (configured by ops in the admin), their sequence numbers, the journal of the
application messages they were sent (for ResendRequest) and the ClOrdIDs they used."""

from django.db import models

from orders.models import Account, Order


class FixSession(models.Model):
    """One counterparty session, identified by its SenderCompID (our TargetCompID is VENUE).
    The sequence numbers are the next ones expected in and to be sent out; the gateway keeps
    them current, so they survive restarts and reconnects."""

    class Kind(models.TextChoices):
        ORDER_ENTRY = "order_entry", "order entry"
        DROP_COPY = "drop_copy", "drop copy"
        MARKET_DATA = "market_data", "market data"

    sender_comp_id = models.CharField("SenderCompID", max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="fix_sessions")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ORDER_ENTRY)
    enabled = models.BooleanField(default=True)
    next_in_seq = models.BigIntegerField(default=1)
    next_out_seq = models.BigIntegerField(default=1)
    # The account's private stream (orders.private) as far as this session's reports go: what
    # follows it is reported on the next start, so nothing is missed while the gateway is down.
    # None until the session is first loaded (it starts from the account's seq then).
    private_seq = models.BigIntegerField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)  # set while a connection is logged on
    connected_from = models.CharField(max_length=64, blank=True, default="")
    last_logout_at = models.DateTimeField(null=True, blank=True)
    last_logout_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "FIX session"

    def __str__(self) -> str:
        return f"{self.sender_comp_id} ({self.get_kind_display()})"

    @property
    def connected(self) -> bool:
        return self.connected_at is not None


class FixOutbound(models.Model):
    """An application message sent (or due) to a session, kept for ResendRequest. Session-level
    messages are not kept: a resend covers them with SequenceReset-GapFill."""

    session = models.ForeignKey(FixSession, on_delete=models.CASCADE, related_name="journal")
    seq = models.BigIntegerField()
    msg_type = models.CharField(max_length=4)
    raw = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "seq"], name="fix_outbound_session_seq")]


class FixClOrdID(models.Model):
    """Every ClOrdID a session used (NewOrderSingle, cancel, replace) and the order it names."""

    session = models.ForeignKey(FixSession, on_delete=models.CASCADE, related_name="cl_ord_ids")
    cl_ord_id = models.CharField(max_length=64)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "ClOrdID"
        constraints = [models.UniqueConstraint(fields=["session", "cl_ord_id"], name="fix_clordid_session_unique")]
        indexes = [models.Index(fields=["order"], name="fix_clordid_order")]
