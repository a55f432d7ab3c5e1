"""The private stream's part of an engine batch, inside the batch's transaction (the last statements of
`flush`): each account with an order update in the batch gets, in this order, its `order_update`
messages (batch order), a `position` message for each position the batch changed or whose
reservation its orders changed (by symbol), and one `account` message. Their `seq` continue the
account's counter (Account.event_seq) without a gap.

Cost per batch, whatever its size: the accounts' one UPDATE (the batch's cash deltas and
`event_seq += n`, which RETURNs the balances and the new counter, so nothing else reads the accounts),
one read of those accounts' positions (the pushes and the account's equity), both in one round trip
of the batch's pipeline on PostgreSQL, and one INSERT of all the messages (sent with the commit). The row lock of that UPDATE orders two shards' batches of one account, so seqs are
assigned in commit order; a batch that rolls back takes its seqs with it.
"""

from collections import defaultdict
from decimal import Decimal
from functools import cache

from django.db import connection

from common.db.cursors import prepared_cursor
from marketdata.models import Instrument
from orders.models import Account, Order, Position, PrivateEvent
from orders.private.messages import (
    ACCOUNT,
    ORDER_UPDATE,
    POSITION,
    Holding,
    PrivateMessage,
    account_body,
    order_update_body,
    position_body,
)
from orders.worker.rows import insert_rows, update_rows

ZERO = Decimal("0")
EVENT_FIELDS = ("account_id", "seq", "type", "body", "created_at")


@cache
def _holdings_sql() -> str:
    q = connection.ops.quote_name
    position, instrument = Position._meta.db_table, Instrument._meta.db_table
    return (f"SELECT p.account_id, p.instrument_id, i.symbol, i.tick_size, i.lot_size, p.qty, p.reserved_qty, "
            f"p.avg_price, p.realized_pl, i.last_price, i.reference_price FROM {q(position)} p "
            f"JOIN {q(instrument)} i ON i.id = p.instrument_id WHERE p.account_id = ANY(%s::bigint[]) "
            f"ORDER BY i.symbol")


def _holding(row) -> Holding:
    _, instrument_id, symbol, tick, lot, qty, reserved, avg, realized, last, reference = row
    return Holding(symbol=symbol, instrument_id=instrument_id, tick_size=tick, lot_size=lot, qty=qty,
                   reserved_qty=reserved, avg_price=avg, realized_pl=realized, mark=last or reference or avg)


def _holdings_rows(account_ids: list[int]) -> list[tuple]:
    """Every position of these accounts as the batch left it, by symbol (the ORM's query, off PostgreSQL)."""
    return list(Position.objects.filter(account_id__in=account_ids).order_by("instrument__symbol")
                .values_list("account_id", "instrument_id", "instrument__symbol", "instrument__tick_size",
                             "instrument__lot_size", "qty", "reserved_qty", "avg_price", "realized_pl",
                             "instrument__last_price", "instrument__reference_price"))


def _write_accounts(rows, account_ids: list[int]) -> tuple[list[tuple], list[tuple]]:
    """The accounts' UPDATE (deltas and counters, RETURNING the balances and counters) and the positions
    of `account_ids` as the batch left them (their mark: last trade, else reference, else own cost, as
    orders.selectors.mark_price). On PostgreSQL both go in one round trip of the batch's pipeline, the
    positions read as a raw statement (the ORM may not run inside the pipeline: orders/worker/rows.py)."""
    pks = [pk for pk, *_ in rows]
    deltas = {"cash": [r[1] for r in rows], "reserved_cash": [r[2] for r in rows], "event_seq": [r[3] for r in rows]}
    returning = ("id", "event_seq", "cash", "reserved_cash", "currency")
    if not account_ids:
        update_rows(Account, pks, add=deltas)
        return [], []
    if connection.vendor != "postgresql":
        return update_rows(Account, pks, add=deltas, returning=returning), _holdings_rows(account_ids)
    with prepared_cursor() as positions, prepared_cursor() as accounts:
        positions.execute(_holdings_sql(), ["{" + ",".join(str(a) for a in account_ids) + "}"])
        update_rows(Account, pks, add=deltas, returning=returning, cursor=accounts)
        return accounts.fetchall(), positions.fetchall()


def _missing(instrument: Instrument) -> Holding:
    """A position the batch names but that has no row (none is ever deleted; a push of nothing held)."""
    return Holding(symbol=instrument.symbol, instrument_id=instrument.pk, tick_size=instrument.tick_size,
                   lot_size=instrument.lot_size, qty=ZERO, reserved_qty=ZERO, avg_price=ZERO, realized_pl=ZERO,
                   mark=instrument.last_price or instrument.reference_price or ZERO)


def flush_accounts(batch, now) -> dict[int, list[PrivateMessage]]:
    """Write the batch's account deltas and its private messages; the messages by account."""
    updates: dict[int, list[dict]] = defaultdict(list)
    moved: dict[int, set[int]] = defaultdict(set)  # account -> instruments whose position it pushes
    formatted: dict[int, dict] = {}
    for update in batch.updates:
        order = update.order
        updates[order.account_id].append(order_update_body(update, formatted))
        if update.fill is not None or order.side == Order.Side.SELL:
            moved[order.account_id].add(order.instrument_id)
    for account_id, instrument_id in batch.positions:
        moved[account_id].add(instrument_id)
    # The number of messages of each account is known before anything is read, so the accounts' UPDATE
    # can hand out the seqs: its order updates, one position per instrument it moved, one account.
    counts = {a: len(items) + len(moved[a]) + 1 for a, items in updates.items()}

    # Accounts in key order (as the order services and other shards lock them); those the batch neither
    # moved nor messages are left alone.
    rows = [(pk, batch.cash.get(pk, ZERO), batch.reserved_cash.get(pk, ZERO), counts.get(pk, 0))
            for pk in sorted(set(batch.cash) | set(batch.reserved_cash) | set(counts))]
    rows = [row for row in rows if row[1] or row[2] or row[3]]
    returned, positions = _write_accounts(rows, sorted(updates))
    holdings: dict[int, list[Holding]] = defaultdict(list)
    for row in positions:
        holdings[row[0]].append(_holding(row))
    instruments = {i.pk: i for i in batch.instruments.values()}
    messages: dict[int, list[PrivateMessage]] = {}
    for pk, last, cash, reserved, currency in returned:
        n = counts.get(pk)
        if not n:
            continue
        held = {h.instrument_id: h for h in holdings.get(pk, ())}
        pushed = sorted((held.get(i) or _missing(instruments[i]) for i in moved[pk]), key=lambda h: h.symbol)
        seq = last - n
        out = messages[pk] = []
        for body in updates[pk]:
            seq += 1
            out.append(PrivateMessage(pk, seq, ORDER_UPDATE, body))
        for holding in pushed:
            seq += 1
            out.append(PrivateMessage(pk, seq, POSITION, position_body(holding)))
        out.append(PrivateMessage(pk, seq + 1, ACCOUNT, account_body(
            account_id=pk, currency=currency, cash=cash, reserved_cash=reserved, holdings=list(held.values()))))
    insert_rows(PrivateEvent, EVENT_FIELDS, [(m.account_id, m.seq, m.type, m.encode(), now)
                                            for pk in sorted(messages) for m in messages[pk]])
    return messages
