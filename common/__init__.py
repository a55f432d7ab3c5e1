"""The ground floor: what every layer above may use and nothing here imports from above.

Wire formats (decimals, symbols, JSON, times), the one domain exception, Redis and database
helpers, and logging. See docs/architecture.md.
"""
