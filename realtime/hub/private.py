"""The private stream of each socket subscribed to `orders`: live messages in seq order, without a gap
and without a duplicate, whatever the order they arrive in.

Each `Connection` knows the seq it last wrote (`private_seq`). A live PrivateMessages batch is written
from `private_seq + 1` on; seqs at or below it are dropped (a message both read back from the
database and received live). A seq beyond `private_seq + 1` means messages are missing here (two
engine shards publishing one account's batches in the other order, a publication lost to a Redis
failure): the socket reads them back from the database (orders.private.private_events_after), where
they are already (they are published only after their batch commits, and an account's seqs commit in
order), while the live messages that arrive meanwhile wait in `private_wait`.

Subscribing with `since` is the same read from `since`, begun before `subscribed` is sent so a bad
`since` is refused with nothing subscribed; the hub joins the account's channel first, so every
message committed after the read began arrives live. Reads go page by page, each after the socket
has written the one before, so a long replay cannot overflow its buffer.
"""

import asyncio

from channels.db import database_sync_to_async

from common.errors import ServiceError
from common.logging import get_logger
from orders.private import private_events_after, private_seq
from realtime.hub.connection import Connection
from realtime.protocol import CloseCode, ProtocolError, error_text

log = get_logger("realtime.hub")

events_after = database_sync_to_async(private_events_after)
seq_of = database_sync_to_async(private_seq)


def _page(connection: Connection) -> int:
    return max(1, min(500, connection.max_queue // 2))


async def private_start(connection: Connection, account_id: int, since: int | None) -> int:
    """Begin the socket's private stream (the hub has joined the account's channel and holds the
    socket among the account's). With `since`, the first page of messages after it is written at once
    (the rest follow); returns the seq the stream starts from (the account's last seq without `since`).
    ProtocolError for a `since` the account cannot resume from."""
    connection.private_wait = []
    if since is None:
        connection.private_seq = await seq_of(account_id=account_id)
        start = connection.private_seq
        _release(connection)
        return start
    try:
        first = await events_after(account_id=account_id, since=since, limit=_page(connection))
    except ServiceError as error:
        connection.private_wait = None
        raise ProtocolError(error.code, error.detail) from None
    connection.private_seq = since
    connection.private_task = asyncio.get_running_loop().create_task(_catch_up(connection, account_id, first))
    return since


def private_stop(connection: Connection) -> None:
    if connection.private_task is not None:
        connection.private_task.cancel()
        connection.private_task = None
    connection.private_wait = None
    connection.private_seq = 0


def private_deliver(connection: Connection, account_id: int, messages: list[tuple[int, str]]) -> None:
    """Live messages of the socket's account, in seq order."""
    if connection.private_wait is not None:
        connection.private_wait.extend(messages)
        return
    for i, (seq, text) in enumerate(messages):
        if seq <= connection.private_seq:
            continue
        if seq != connection.private_seq + 1:
            log.info("private stream gap; reading back", account_id=account_id, have=connection.private_seq, got=seq)
            connection.private_wait = list(messages[i:])
            connection.private_task = asyncio.get_running_loop().create_task(_catch_up(connection, account_id))
            return
        connection.private_seq = seq
        connection.push(text)


def _release(connection: Connection) -> None:
    """The read is done: write what arrived live meanwhile (which may start another read)."""
    waiting, connection.private_wait = connection.private_wait or [], None
    connection.private_task = None
    if waiting and connection.account_id is not None:
        waiting.sort(key=lambda item: item[0])
        private_deliver(connection, connection.account_id, waiting)


async def _catch_up(connection: Connection, account_id: int, page=None) -> None:
    try:
        while True:
            if page is None:
                page = await events_after(account_id=account_id, since=connection.private_seq, limit=_page(connection))
            if connection.closed or connection.account_id != account_id:
                return
            for text in page.texts:
                connection.push(text)
            connection.private_seq = page.next_since
            if not page.more:
                break
            page = None
            await connection.wait_written()
    except asyncio.CancelledError:
        raise
    except Exception as error:
        # The socket cannot be given its messages in order: it is told and closed, and resumes with `since`.
        code = error.code if isinstance(error, ServiceError) else "private_stream_unavailable"
        log.warning("private stream not read back", account_id=account_id, exc_info=not isinstance(error, ServiceError))
        connection.private_wait = None
        connection.push(error_text(code, "The private stream could not be read back; reconnect and resume "
                                         "with since."))
        connection.close(CloseCode.PRIVATE_STREAM)
        return
    _release(connection)
