"""The Alpaca-compatible surface (docs/alpaca.md): the trading REST API under /v2/, its
`trade_updates` stream at /stream, market data under /v2/stocks/ and the msgpack stream at
/v2/iex, as the official alpaca-py SDK calls them. Every request is parsed here and served by the
same services and selectors as REST v1; only the shapes, ids and error codes are Alpaca's."""
