"""Writes of the reports app: building and storing statements and the venue's daily figures."""

from datetime import date

from django.db import transaction

from orders.models import Account
from reports.models import Statement, VenueDay
from reports.render import statement_csv, statement_pdf
from reports.statements import accounts_active_on, statement_data
from reports.venue import venue_day_figures


def statement_build(*, account: Account, day: date) -> Statement:
    """Build (or rebuild) the account's statement of `day`: the same day built twice gives the same figures."""
    data = statement_data(account=account, day=day)
    values = {"opening_cash": data.opening_cash, "closing_cash": data.closing_cash, "deposits": data.deposits,
              "withdrawals": data.withdrawals, "trades_cash": data.trades_cash, "fees": data.fees,
              "realized_pl": data.realized_pl, "trade_count": len(data.fills), "csv": statement_csv(data),
              "pdf": statement_pdf(data)}
    with transaction.atomic():
        statement, _ = Statement.objects.update_or_create(account=account, day=day, defaults=values)
    return statement


def statements_build_day(*, day: date) -> list[int]:
    """Every trader account's statement of `day` (those with activity, a balance or a holding).
    Returns the ids of the accounts done."""
    done = []
    for account in Account.objects.filter(pk__in=accounts_active_on(day=day)).select_related("user").order_by("pk"):
        statement_build(account=account, day=day)
        done.append(account.pk)
    return done


def venue_day_build(*, day: date) -> VenueDay:
    venue_day, _ = VenueDay.objects.update_or_create(day=day, defaults={"figures": venue_day_figures(day=day)})
    return venue_day
