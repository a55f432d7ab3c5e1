"""The trading REST API under /v2/ (account, assets, orders, positions, clock, calendar)."""
