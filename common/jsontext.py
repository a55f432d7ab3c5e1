"""JSON as the venue writes it between processes and to clients: compact, one line."""

import json
from typing import Any


def dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"))
