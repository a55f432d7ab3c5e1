"""The one module that knows channel-layer group names and Redis market-data keys."""


def symbol_group(symbol: str) -> str:
    return f"md.{symbol}"


def account_group(account_id: int) -> str:
    return f"orders.{account_id}"


def book_key(symbol: str) -> str:
    """Redis key of the latest L2 snapshot the engine published for a symbol (JSON)."""
    return f"md:book:{symbol}"


def quote_key(symbol: str) -> str:
    return f"md:quote:{symbol}"
