"""Users' alerts: create, change, delete mine (the rules are here), and the analytics process's
record of those that fired. Each change bumps a Redis counter after commit, so `run_analytics`
reloads the active alerts before it folds the next entries (analytics.processors.alerts)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from analytics.models import Alert, AlertTrigger
from common.errors import ServiceError, invalid, not_found
from common.logging import get_logger
from common.redis import get_redis
from marketdata.models import Instrument
from orders.models import Account

log = get_logger("analytics.alerts")

MAX_ACTIVE_ALERTS = 50  # per account
MAX_WINDOW_MINUTES = 120
MAX_PRICE = Decimal("1000000000")
MAX_PERCENT = Decimal("1000")
MAX_MULTIPLE = Decimal("1000")
DEFAULT_WINDOWS = {Alert.Kind.PERCENT_MOVE: 5, Alert.Kind.VOLUME_SPIKE: 30}
WINDOWED = tuple(DEFAULT_WINDOWS)
NEEDS_SYMBOL = (Alert.Kind.PRICE_ABOVE, Alert.Kind.PRICE_BELOW, Alert.Kind.PERCENT_MOVE, Alert.Kind.VOLUME_SPIKE)


def alerts_version_key() -> str:
    return "analytics:alerts:version"


def _bump() -> None:
    def bump():
        try:
            get_redis().incr(alerts_version_key())
        except Exception:  # the process reloads on its own timer too
            log.warning("alerts version not bumped", exc_info=True)

    transaction.on_commit(bump)


def _validated(*, kind: str, symbol: str | None, threshold: Decimal | None, window_minutes: int | None) -> dict:
    if kind not in Alert.Kind.values:
        raise invalid("kind", f"Unknown kind {str(kind)[:40]!r}; kinds are {', '.join(Alert.Kind.values)}.")
    instrument = None
    if symbol is not None:
        instrument = Instrument.objects.filter(symbol=symbol).first()
        if instrument is None:
            raise invalid("symbol", f"Unknown symbol {symbol[:40]!r}.")
    elif kind in NEEDS_SYMBOL:
        raise invalid("symbol", f"A {kind} alert needs a symbol.")
    if kind == Alert.Kind.FILL:
        if threshold is not None:
            raise invalid("threshold", "A fill alert takes no threshold.")
    else:
        bound = {Alert.Kind.PERCENT_MOVE: MAX_PERCENT, Alert.Kind.VOLUME_SPIKE: MAX_MULTIPLE}.get(kind, MAX_PRICE)
        if threshold is None:
            raise invalid("threshold", f"A {kind} alert needs a threshold.")
        if not threshold.is_finite() or threshold <= 0 or threshold > bound:
            raise invalid("threshold", f"The threshold must be above 0 and at most {bound}.")
        if threshold.as_tuple().exponent < -8:
            raise invalid("threshold", "At most 8 decimal places.")
    if kind in WINDOWED:
        window_minutes = DEFAULT_WINDOWS[kind] if window_minutes is None else window_minutes
        if not 1 <= window_minutes <= MAX_WINDOW_MINUTES:
            raise invalid("window_minutes", f"The window is 1 to {MAX_WINDOW_MINUTES} minutes.")
    elif window_minutes is not None:
        raise invalid("window_minutes", f"A {kind} alert takes no window.")
    return {"kind": kind, "instrument": instrument, "threshold": threshold, "window_minutes": window_minutes}


@transaction.atomic
def alert_create(*, account: Account, kind: str, symbol: str | None = None, threshold: Decimal | None = None,
                 window_minutes: int | None = None, email: bool = False) -> Alert:
    fields = _validated(kind=kind, symbol=symbol, threshold=threshold, window_minutes=window_minutes)
    Account.objects.select_for_update().filter(pk=account.pk).first()  # one creation at a time per account
    if Alert.objects.filter(account=account, status=Alert.Status.ACTIVE).count() >= MAX_ACTIVE_ALERTS:
        raise ServiceError("too_many_alerts", f"At most {MAX_ACTIVE_ALERTS} active alerts; delete some first.",
                           kind="invalid", field="non_field_errors")
    alert = Alert.objects.create(account=account, email=email, **fields)
    _bump()
    return alert


def alert_get(*, account: Account, alert_id) -> Alert:
    """One of my alerts (404 for another account's or none)."""
    return _mine(account, alert_id)


def _mine(account: Account, alert_id) -> Alert:
    try:
        alert_id = int(alert_id)
    except (TypeError, ValueError):
        raise not_found("Alert") from None
    alert = Alert.objects.select_related("instrument").filter(account=account, pk=alert_id).first()
    if alert is None:
        raise not_found("Alert")
    return alert


@transaction.atomic
def alert_update(*, account: Account, alert_id, **changes) -> Alert:
    """Change threshold, window_minutes or email of one of my alerts; a changed condition makes a
    triggered alert active again."""
    alert = _mine(account, alert_id)
    condition = {k: changes[k] for k in ("threshold", "window_minutes") if k in changes}
    if condition:
        fields = _validated(kind=alert.kind, symbol=alert.instrument.symbol if alert.instrument else None,
                            threshold=condition.get("threshold", alert.threshold),
                            window_minutes=condition.get("window_minutes", alert.window_minutes))
        alert.threshold, alert.window_minutes = fields["threshold"], fields["window_minutes"]
        if alert.status == Alert.Status.TRIGGERED:
            active = Alert.objects.filter(account=account, status=Alert.Status.ACTIVE).count()
            if active >= MAX_ACTIVE_ALERTS:
                raise ServiceError("too_many_alerts", f"At most {MAX_ACTIVE_ALERTS} active alerts.", kind="invalid",
                                   field="non_field_errors")
            alert.status, alert.triggered_at = Alert.Status.ACTIVE, None
    if "email" in changes:
        alert.email = bool(changes["email"])
    alert.save()
    _bump()
    return alert


@transaction.atomic
def alert_delete(*, account: Account, alert_id) -> None:
    _mine(account, alert_id).delete()
    _bump()


@dataclass
class Firing:
    """An alert that fired in the analytics process, before and after it is stored."""

    alert_id: int
    account_id: int
    kind: str
    symbol: str | None
    message: str
    price: Decimal | None
    trade_id: int | None
    once: bool  # a one-shot alert (it becomes triggered); fill alerts stay active
    email_to: str | None
    trigger_id: int | None = None
    ts: str | None = None


def alert_triggers_save(*, firings: list[Firing]) -> None:
    """Store the firings (analytics process, in its write transaction); one-shot alerts become
    triggered. A firing of an alert deleted meanwhile is dropped."""
    now = timezone.now()
    live = set(Alert.objects.filter(pk__in={f.alert_id for f in firings}).values_list("pk", flat=True))
    for firing in firings:
        if firing.alert_id not in live:
            continue
        trigger = AlertTrigger.objects.create(alert_id=firing.alert_id, account_id=firing.account_id,
                                              message=firing.message[:200], price=firing.price,
                                              trade_id=firing.trade_id)
        firing.trigger_id = trigger.pk
        firing.ts = trigger.created_at.isoformat().replace("+00:00", "Z")
    once = [f.alert_id for f in firings if f.once and f.alert_id in live]
    if once:
        Alert.objects.filter(pk__in=once).update(status=Alert.Status.TRIGGERED, triggered_at=now)


def alert_emails_send(*, firings: list[Firing]) -> None:
    """Email each stored firing whose alert asked for it (after commit; failures are logged)."""
    for firing in firings:
        if firing.trigger_id is None or not firing.email_to:
            continue
        try:
            send_mail(subject=f"Alert: {firing.message}"[:120], message=firing.message,
                      from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[firing.email_to])
        except Exception:
            log.warning("alert email not sent", alert_id=firing.alert_id, exc_info=True)
