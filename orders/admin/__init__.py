"""Ops admin for accounts, orders and the books.

Nothing here writes a balance, an order or a ledger row by itself: every action calls the
service that owns the rule (account_deposit, account_withdraw, account_set_frozen,
order_cancel, instrument_halt...). Orders, trades, the ledger, positions and transfers are
read-only. Instruments are reference data (marketdata), administered here because their
halt and resume go through the order services.
"""

from orders.admin import accounts, api_keys, instruments, orders, risk, venue  # noqa: F401 - each module registers its admins
