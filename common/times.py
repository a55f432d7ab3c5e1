"""Times on the wire: ISO 8601 in UTC with a "Z"."""

from datetime import UTC, datetime


def utc_iso(ts: datetime | None = None) -> str:
    """`ts` (aware; now when None) as ISO 8601 UTC, e.g. "2026-12-02T09:30:00.123456Z"."""
    return (ts or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")
