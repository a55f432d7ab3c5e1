"""Stored reports: each account's daily statement (CSV and PDF, built by Celery beat) and the venue's
daily figures for ops (docs/reports.md)."""

from django.db import models

from orders.models import MONEY, Account


class Statement(models.Model):
    """One account's statement of one trading day (a UTC calendar day). The figures are kept as
    columns (the list and the reconciliation read them); the documents as built."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="statements")
    day = models.DateField()
    opening_cash = models.DecimalField(**MONEY)
    closing_cash = models.DecimalField(**MONEY)
    deposits = models.DecimalField(**MONEY)
    withdrawals = models.DecimalField(**MONEY)
    trades_cash = models.DecimalField(**MONEY, help_text="Signed: sales minus purchases.")
    fees = models.DecimalField(**MONEY)
    realized_pl = models.DecimalField(**MONEY)
    trade_count = models.IntegerField()
    csv = models.TextField()
    pdf = models.BinaryField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="one_statement_per_account_day")]

    def __str__(self) -> str:
        return f"statement {self.day} of {self.account}"

    @property
    def filename(self) -> str:
        return f"statement-{self.account_id}-{self.day.isoformat()}"


class VenueDay(models.Model):
    """The venue's figures of one trading day (reports.venue.venue_day_figures), kept by the nightly
    task so the 30-day chart reads 30 rows."""

    day = models.DateField(unique=True)
    figures = models.JSONField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = "venue day"

    def __str__(self) -> str:
        return f"venue {self.day}"
