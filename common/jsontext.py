"""JSON as the venue writes it between processes and to clients: compact, one line, UTF-8.

orjson (C): the publisher and every web process's hub encode and decode each message; the standard
library's json cost several times more per message."""

from typing import Any

import orjson


def dumps(payload: Any) -> str:
    return orjson.dumps(payload).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
