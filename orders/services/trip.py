"""An account's kill switch (docs/risk.md): `account_trip` freezes the account (every new order is
refused with code `account_frozen` and the reason), asks the engine to cancel its open orders
through the same path as a trader's cancel all, and records a RiskEvent (the ops audit trail of
the account's risk, in the admin). Ops unfreeze it in the admin with `account_unfreeze`, recorded
the same way. The risk monitor of the analytics process trips an account whose daily loss reached
its limit, then tells the trader and ops through the callable it passes (`notify`)."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from common.logging import get_logger
from orders.models import Account, RiskEvent
from orders.services.cancellation import order_cancel_all
from orders.services.risk_limits import risk_limits_cache_clear

log = get_logger("orders.risk")


@dataclass(frozen=True)
class Trip:
    """What a trip did, for whoever must hear of it."""

    account_id: int
    user_id: int | None
    code: str
    detail: str
    canceled: list[int]
    event_id: int
    today_pl: Decimal | None = None


def account_trip(*, account_id: int, code: str, detail: str, today_pl: Decimal | None = None,
                 notify: Callable[[Trip], None] | None = None) -> Trip | None:
    """Freeze the account and cancel its open orders, once: an account already frozen is left as it
    is and None returned. `notify` is called after the commit (a failure there is logged, never
    undoes the trip)."""
    with transaction.atomic():
        frozen = Account.objects.filter(pk=account_id, frozen=False).update(frozen=True, frozen_reason=detail[:200])
        if not frozen:
            return None
        account = Account.objects.get(pk=account_id)
        canceled = order_cancel_all(account=account)
        event = RiskEvent.objects.create(account=account, kind=RiskEvent.Kind.TRIP, code=code, detail=detail[:500],
                                         canceled_orders=len(canceled))
    risk_limits_cache_clear()
    trip = Trip(account_id=account_id, user_id=account.user_id, code=code, detail=detail, canceled=canceled,
                event_id=event.pk, today_pl=today_pl)
    log.warning("account tripped", account_id=account_id, code=code, detail=detail, canceled=len(canceled))
    if notify is not None:
        try:
            notify(trip)
        except Exception:  # noqa: BLE001 - the trip stands whatever the notification does
            log.exception("trip notification failed", account_id=account_id)
    return trip


def account_unfreeze(*, account: Account, user=None, memo: str = "") -> Account:
    """Ops lift a freeze (a trip's or their own); recorded as a RiskEvent with who did it."""
    with transaction.atomic():
        reason = Account.objects.filter(pk=account.pk).values_list("frozen_reason", flat=True).first()
        Account.objects.filter(pk=account.pk).update(frozen=False, frozen_reason="")
        RiskEvent.objects.create(account=account, kind=RiskEvent.Kind.UNFREEZE, user=user,
                                 detail=(memo or f"unfrozen (was: {reason or 'frozen by hand'})")[:500])
    account.refresh_from_db()
    return account
