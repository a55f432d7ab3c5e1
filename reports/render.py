"""A statement as CSV (one table, its first column naming the section) and as PDF (fpdf2), and the
CSV exports of orders and fills. Money with 2 places, prices and quantities with the digits they
have; times ISO 8601 UTC."""

import csv
import io
from collections.abc import Iterable

from fpdf import FPDF

from common.decimals import format_cash, format_decimal
from common.times import utc_iso
from reports.statements import FILL_COLUMNS_EXPORT, StatementData


def num_text(value) -> str:
    return "" if value is None else format_decimal(value, 0)


def money_text(value) -> str:
    return "" if value is None else format_cash(value)


def _summary(data: StatementData) -> list[tuple[str, str]]:
    return [("opening_cash", money_text(data.opening_cash)), ("deposits", money_text(data.deposits)),
            ("withdrawals", money_text(data.withdrawals)), ("trades", money_text(data.trades_cash)),
            ("fees", money_text(data.fees)), ("closing_cash", money_text(data.closing_cash)),
            ("realized_pl", money_text(data.realized_pl)), ("trade_count", str(len(data.fills)))]


FILL_COLUMNS = FILL_COLUMNS_EXPORT


def statement_csv(data: StatementData) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "statement", "account", data.account_id, "day", data.day.isoformat(), "currency",
                     data.currency])
    writer.writerow(["summary", "item", "amount"])
    for name, value in _summary(data):
        writer.writerow(["summary", name, value])
    writer.writerow(["position", "symbol", "opening_qty", "closing_qty", "closing_price", "closing_value"])
    for h in data.holdings:
        writer.writerow(["position", h.symbol, num_text(h.opening_qty), num_text(h.closing_qty), num_text(h.closing_price),
                         money_text(h.closing_value)])
    writer.writerow(["trade", *FILL_COLUMNS])
    for f in data.fills:
        writer.writerow(["trade", utc_iso(f.ts), f.trade_id, f.order_id, f.symbol, f.side, num_text(f.qty), num_text(f.price),
                         money_text(f.notional), money_text(f.fee), f.liquidity])
    writer.writerow(["cash", "ts", "kind", "amount", "memo"])
    for m in data.movements:
        writer.writerow(["cash", utc_iso(m.ts), m.kind, money_text(m.amount), m.memo])
    return out.getvalue()


def _latin(text: str) -> str:
    """The PDF's core font covers Latin-1: anything else prints as '?'."""
    return str(text).encode("latin-1", "replace").decode("latin-1")


def _table(pdf: FPDF, header: list[str], rows: Iterable[list[str]], widths: list[float]) -> None:
    pdf.set_font("Helvetica", "B", 8)
    for text, width in zip(header, widths):
        pdf.cell(width, 6, _latin(text), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for row in rows:
        for index, (text, width) in enumerate(zip(row, widths)):
            pdf.cell(width, 5, _latin(text), align="L" if index < 1 or not text[:1].isdigit() and text[:1] != "-" else "R")
        pdf.ln()
    pdf.ln(3)


def statement_pdf(data: StatementData) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"Statement {data.day.isoformat()}")
    pdf.set_creator("tradeapp")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin(f"Statement of {data.day.isoformat()} (UTC)"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 6, _latin(f"Account {data.account_id} ({data.owner}), currency {data.currency}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _table(pdf, ["item", "amount"], [[name.replace("_", " "), value] for name, value in _summary(data)], [50, 35])
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, "Positions", new_x="LMARGIN", new_y="NEXT")
    _table(pdf, ["symbol", "opening qty", "closing qty", "closing price", "closing value"],
           [[h.symbol, num_text(h.opening_qty), num_text(h.closing_qty), num_text(h.closing_price), money_text(h.closing_value)]
            for h in data.holdings], [30, 30, 30, 30, 35])
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, f"Trades ({len(data.fills)})", new_x="LMARGIN", new_y="NEXT")
    _table(pdf, ["time", "trade", "order", "symbol", "side", "qty", "price", "notional", "fee", "liq."],
           [[utc_iso(f.ts)[11:19], str(f.trade_id), str(f.order_id), f.symbol, f.side, num_text(f.qty), num_text(f.price),
             money_text(f.notional), money_text(f.fee), f.liquidity] for f in data.fills],
           [16, 15, 15, 17, 10, 20, 22, 25, 16, 14])
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, "Deposits and withdrawals", new_x="LMARGIN", new_y="NEXT")
    _table(pdf, ["time", "kind", "amount", "memo"],
           [[utc_iso(m.ts)[11:19], m.kind, money_text(m.amount), m.memo[:60]] for m in data.movements], [20, 25, 30, 110])
    return bytes(pdf.output())


def rows_csv(columns: list[str], rows: Iterable[Iterable]) -> Iterable[str]:
    """A CSV export as lines (for a streaming answer): the header, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(columns)
    for row in rows:
        yield line(row)
