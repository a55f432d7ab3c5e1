"""Alpaca's ids are UUIDs; the venue's are database integers. The mapping is stable and
reversible: a kind in the first group and the integer in the last (`00000001-0000-4000-8000-
00000000002a` is order 42). Assets are named by symbol (uuid5), so an order's asset id needs
nothing but its symbol."""

import re
import uuid

ORDER, ACCOUNT, EXECUTION = 1, 2, 3
MAX_ID = 16**12 - 1
ASSET_NAMESPACE = uuid.UUID("6f1b2f52-3a5e-5b8e-9d51-7a1c0de0a5e7")
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


def id_uuid(kind: int, pk: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{pk:012x}"


def order_uuid(pk: int) -> str:
    return id_uuid(ORDER, pk)


def account_uuid(pk: int) -> str:
    return id_uuid(ACCOUNT, pk)


def execution_uuid(trade_id: int, liquidity: str) -> str:
    """One id per fill: each trade fills a maker and a taker order."""
    return id_uuid(EXECUTION, trade_id * 2 + (liquidity == "taker"))


def asset_uuid(symbol: str) -> str:
    return str(uuid.uuid5(ASSET_NAMESPACE, symbol))


def parse_uuid(text: str) -> uuid.UUID | None:
    if not isinstance(text, str) or not UUID_TEXT.fullmatch(text):
        return None
    return uuid.UUID(text)


def pk_of(value: uuid.UUID, kind: int) -> int | None:
    """The database id a UUID of `kind` carries, or None when it is not one of ours."""
    text = str(value)
    if text[:23] != f"{kind:08x}-0000-4000-8000":
        return None
    pk = int(text[24:], 16)
    return pk if 0 < pk <= MAX_ID else None
