"""Reads of an account's private stream after a seq: the WebSocket resume (realtime/hub), REST
`GET orders/updates/` and the FIX drop copy all read it here."""

from dataclasses import dataclass

from common.errors import ServiceError
from orders.models import Account, PrivateEvent
from orders.private.messages import PrivateMessage

# The most messages one read returns (REST's `limit` at most; the hub pages with it).
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class PrivateEvents:
    """Messages after `since`, in seq order: `texts[i]` is message `since + 1 + i` as sent (JSON text).
    `last_seq` is the account's last seq when read; `more` says whether messages after these were
    there already (read again from `since + len(texts)`)."""

    account_id: int
    since: int
    texts: list[str]
    last_seq: int

    @property
    def next_since(self) -> int:
        return self.since + len(self.texts)

    @property
    def more(self) -> bool:
        return self.next_since < self.last_seq

    def messages(self) -> list[PrivateMessage]:
        return [PrivateMessage.decode(self.account_id, text) for text in self.texts]


def private_seq(*, account_id: int) -> int:
    """The seq of the account's last private message (0: none yet)."""
    return Account.objects.filter(pk=account_id).values_list("event_seq", flat=True).first() or 0


def private_events_after(*, account_id: int, since: int, limit: int = MAX_LIMIT) -> PrivateEvents:
    """The account's private messages with seq > `since`, at most `limit`, gap-free from `since + 1`.

    ServiceError: `since` not an integer >= 0 (invalid, code `invalid_since`), beyond the account's
    last seq (invalid, `since_in_future`), or older than what is kept (refused, `resume_too_old`:
    refetch the state by REST, then follow from the seq it is at)."""
    if isinstance(since, bool) or not isinstance(since, int) or since < 0:
        raise ServiceError("invalid_since", "since must be an integer >= 0.", kind="invalid", field="since")
    limit = max(1, min(int(limit), MAX_LIMIT))
    last = private_seq(account_id=account_id)
    if since > last:
        raise ServiceError("since_in_future", f"since {since} is beyond the last seq of this account ({last}).",
                           kind="invalid", field="since")
    rows = list(PrivateEvent.objects.filter(account_id=account_id, seq__gt=since).order_by("seq")
                .values_list("seq", "body")[:limit])
    # Kept messages are a suffix of the account's: a read from before the oldest one starts past `since + 1`
    # (or a hole: the retention's cut by time is not exactly by seq when two shards settle one account).
    if since < last and (not rows or rows[0][0] != since + 1 or rows[-1][0] != since + len(rows)):
        raise ServiceError("resume_too_old", f"Messages after seq {since} are no longer kept; refetch the state "
                                             "(GET account/, positions/, orders/) and follow from the stream's seq.")
    # Rows committed after `last` was read may follow: they are gap-free too (the seq is per account).
    texts = [body for seq, body in rows]
    return PrivateEvents(account_id=account_id, since=since, texts=texts, last_seq=max(last, since + len(texts)))
