"""Every write of the venue. Views, consumers, admin actions, bots and tasks call these."""

from orders.services.accounts import (
    account_deposit,
    account_for_user,
    account_set_frozen,
    account_system,
    account_withdraw,
    position_grant,
)
from orders.services.cancellation import order_cancel, order_cancel_all, order_replace
from orders.services.placement import order_place, order_place_many

__all__ = [
    "account_deposit",
    "account_for_user",
    "account_set_frozen",
    "account_system",
    "account_withdraw",
    "order_cancel",
    "order_cancel_all",
    "order_place",
    "order_place_many",
    "order_replace",
    "position_grant",
]
