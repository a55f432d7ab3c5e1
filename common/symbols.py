"""The shape of identifiers on the wire. Whether a symbol is an instrument is marketdata's to say."""

import re

# Symbols as the venue lists them: printable ASCII without spaces, 1 to 16 characters.
SYMBOL_CHARS = r"[\x21-\x7e]{1,16}"
SYMBOL = re.compile(SYMBOL_CHARS)
# Printable ASCII, 1 to 64 characters: safe in a URL path, a log line and a FIX tag.
CLIENT_ORDER_ID_CHARS = r"[\x20-\x7e]{1,64}"
CLIENT_ORDER_ID = re.compile(CLIENT_ORDER_ID_CHARS)


def is_symbol(text: object) -> bool:
    return isinstance(text, str) and SYMBOL.fullmatch(text) is not None
