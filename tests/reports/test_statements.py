"""Statements reconcile with the ledger to the cent, show positions, trades with fees, cash movements
and realized P&L, as CSV and PDF; the beat task builds them for every account."""

import csv
import io
from decimal import Decimal as D

from django.db.models import Sum
from django_celery_beat.models import PeriodicTask

from orders.models import LedgerEntry
from orders.risk_selectors import day_bounds
from reports.models import Statement
from reports.services import statement_build
from reports.tasks import build_statements


def ledger_total(account, **filters) -> D:
    return LedgerEntry.objects.filter(account=account, **filters).aggregate(s=Sum("amount"))["s"] or D("0")


def test_todays_statement_reconciles_with_the_ledger_to_the_cent(history):
    trader, today = history["trader"], history["today"]
    start, end = day_bounds(day=today)
    s = statement_build(account=trader, day=today)
    assert (s.opening_cash, s.deposits, s.withdrawals, s.trades_cash, s.fees, s.closing_cash) == (
        D("10000.00"), D("50.00"), D("100.00"), D("-450.00"), D("0.35"), D("9499.65"))
    # opening cash + the ledger entries of the day = closing cash = the account's cash now
    assert s.opening_cash == ledger_total(trader, created_at__lt=start)
    assert s.opening_cash + ledger_total(trader, created_at__gte=start, created_at__lt=end) == s.closing_cash
    assert s.opening_cash + s.deposits - s.withdrawals + s.trades_cash - s.fees == s.closing_cash == trader.cash
    # average cost after the buy: (20 x 90.00 + 10 x 100.00) / 30 = 93.33333333; 5 x (110.00 - 93.33333333)
    assert (s.realized_pl, s.trade_count) == (D("83.33"), 2)


def test_yesterdays_statement_ends_where_today_begins(history):
    trader = history["trader"]
    before = statement_build(account=trader, day=history["yesterday"])
    after = statement_build(account=trader, day=history["today"])
    assert (before.opening_cash, before.deposits, before.closing_cash, before.trade_count) == (
        D("0.00"), D("10000.00"), D("10000.00"), 0)
    assert before.closing_cash == after.opening_cash
    rows = list(csv.reader(io.StringIO(before.csv)))
    assert ["position", "AAPL", "0", "20", "", ""] in rows  # granted yesterday, no trade price before today


def test_the_csv_lists_positions_every_trade_with_its_fee_and_the_cash_movements(history):
    s = statement_build(account=history["trader"], day=history["today"])
    rows = list(csv.reader(io.StringIO(s.csv)))
    summary = {r[1]: r[2] for r in rows if r[0] == "summary" and r[1] != "item"}
    assert summary == {"opening_cash": "10000.00", "deposits": "50.00", "withdrawals": "100.00", "trades": "-450.00",
                       "fees": "0.35", "closing_cash": "9499.65", "realized_pl": "83.33", "trade_count": "2"}
    assert [r for r in rows if r[0] == "position"][1:] == [["position", "AAPL", "20", "25", "110", "2750.00"]]
    trades = [r[4:] for r in rows if r[0] == "trade"][1:]
    assert trades == [["AAPL", "buy", "10", "100", "1000.00", "0.30", "taker"],
                      ["AAPL", "sell", "5", "110", "550.00", "0.05", "maker"]]
    assert [(r[2], r[3]) for r in rows if r[0] == "cash"][1:] == [("withdrawal", "-100.00"), ("deposit", "50.00")]
    assert bytes(s.pdf).startswith(b"%PDF-") and len(s.pdf) > 1000


def test_the_beat_task_builds_every_active_account_once_and_rebuilds_the_same(history):
    assert build_statements(day=history["today"].isoformat()) == 3  # trader, seller, buyer
    first = {s.account_id: (s.closing_cash, s.realized_pl) for s in Statement.objects.all()}
    assert build_statements(day=history["today"].isoformat()) == 3
    assert Statement.objects.count() == 3
    assert {s.account_id: (s.closing_cash, s.realized_pl) for s in Statement.objects.all()} == first
    assert first[history["seller"].pk] == (D("999.90"), D("100.00"))  # 10 sold at 100.00 over a cost of 90.00


def test_the_schedules_are_in_the_database(db):
    tasks = dict(PeriodicTask.objects.filter(task__startswith="reports.").values_list("task", "crontab__minute"))
    assert tasks == {"reports.build_statements": "10", "reports.build_venue_day": "20"}
