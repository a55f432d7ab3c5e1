"""The users' alerts stage: evaluates the active alerts against each batch, after the figures
stage folded it (it reads those figures). A one-shot alert fires once and leaves the active set;
a fill alert fires once per fill of its account. Only batches after an alert's creation count.

What fired is stored with the run (analytics.services.alert_triggers_save, in the checkpoint's
transaction), then pushed to the owner's account channel (an AlertTriggered message: the hubs
send it as `alert` to that account's private subscribers only), then emailed if asked."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from analytics.figures import epoch_of
from analytics.models import Alert
from analytics.pipeline import BaseProcessor, Context, Output
from analytics.processors.figures import FiguresProcessor
from analytics.services.alerts import Firing, alert_emails_send, alert_triggers_save, alerts_version_key
from common import metrics
from common.decimals import format_decimal
from realtime.channels import account_channel
from realtime.messages import AlertTriggered, EngineBatch

HUNDRED = Decimal(100)


@dataclass(slots=True)
class ActiveAlert:
    id: int
    account_id: int
    kind: str
    symbol: str | None
    threshold: Decimal | None
    window: int | None
    created: float  # epoch seconds
    email_to: str | None


def active_alerts() -> list[ActiveAlert]:
    rows = (Alert.objects.filter(status=Alert.Status.ACTIVE)
            .select_related("instrument", "account__user").order_by("id"))
    return [ActiveAlert(id=a.pk, account_id=a.account_id, kind=a.kind,
                        symbol=a.instrument.symbol if a.instrument else None, threshold=a.threshold,
                        window=a.window_minutes, created=a.created_at.timestamp(),
                        email_to=(a.account.user.email or None) if a.email and a.account.user else None)
            for a in rows]


def _p(value: Decimal) -> str:
    return format_decimal(value, 2)


class AlertsProcessor(BaseProcessor):
    name = "alerts"

    def __init__(self, *, figures: FiguresProcessor):
        self.figures = figures
        self.version: bytes | None = None
        self.by_symbol: dict[str, list[ActiveAlert]] = {}
        self.fills: dict[int, list[ActiveAlert]] = {}
        self.firings: list[Firing] = []

    def _load(self, alerts: list[ActiveAlert]) -> None:
        by_symbol, fills = defaultdict(list), defaultdict(list)
        for alert in alerts:
            (fills[alert.account_id] if alert.kind == Alert.Kind.FILL else by_symbol[alert.symbol]).append(alert)
        self.by_symbol, self.fills = dict(by_symbol), dict(fills)

    def restore(self) -> None:
        self.firings = []
        self.version = None
        self._load(active_alerts())

    async def refresh(self, ctx: Context) -> None:
        version = await ctx.redis.get(alerts_version_key())
        if version != self.version:
            self._load(await ctx.db(active_alerts))
            self.version = version

    def _fire(self, alert: ActiveAlert, message: str, *, price: Decimal | None = None,
              trade_id: int | None = None) -> None:
        once = alert.kind != Alert.Kind.FILL
        self.firings.append(Firing(alert_id=alert.id, account_id=alert.account_id, kind=alert.kind,
                                   symbol=alert.symbol, message=message, price=price, trade_id=trade_id, once=once,
                                   email_to=alert.email_to))
        if once:
            self.by_symbol[alert.symbol].remove(alert)

    def on_batch(self, entry_id: str, batch: EngineBatch, out: Output) -> None:
        now = epoch_of(batch.ts)
        for symbol, part in batch.symbols.items():
            alerts = self.by_symbol.get(symbol)
            trades = part.get("trades")
            if alerts and trades:
                for alert in [a for a in alerts if a.created <= now]:
                    self._market(alert, symbol, trades)
        for fill in batch.fills:
            for alert in self.fills.get(fill["account_id"], ()):
                if alert.created <= now and alert.symbol in (None, fill["symbol"]):
                    self._fire(alert, f"{fill['side'].capitalize()} {fill['qty']} {fill['symbol']} at "
                                      f"{fill['price']} (order {fill['order_id']})",
                               price=Decimal(fill["price"]), trade_id=fill["trade_id"])

    def _market(self, alert: ActiveAlert, symbol: str, trades: list) -> None:
        kind, threshold = alert.kind, alert.threshold
        if kind in (Alert.Kind.PRICE_ABOVE, Alert.Kind.PRICE_BELOW):
            for trade in trades:
                price = Decimal(trade["price"])
                if (price >= threshold) if kind == Alert.Kind.PRICE_ABOVE else (price <= threshold):
                    word = "above" if kind == Alert.Kind.PRICE_ABOVE else "below"
                    self._fire(alert, f"{symbol} traded at {_p(price)}, at or {word} {_p(threshold)}", price=price,
                               trade_id=trade["trade_id"])
                    return
            return
        figures = self.figures.symbols.get(symbol)
        if figures is None or figures.trade_minute is None or figures.last is None:
            return
        M = figures.trade_minute
        if kind == Alert.Kind.PERCENT_MOVE:
            reference = figures.close_at(M - alert.window)
            if reference:
                move = (figures.last / reference - 1) * HUNDRED
                if abs(move) >= threshold:
                    self._fire(alert, f"{symbol} moved {move:+.2f}% in {alert.window} min ({_p(reference)} -> "
                                      f"{_p(figures.last)})", price=figures.last, trade_id=trades[-1]["trade_id"])
        elif kind == Alert.Kind.VOLUME_SPIKE and min(figures.minutes) <= M - alert.window:  # a window seen whole
            mean = figures.volume_mean(before=M, count=alert.window)
            volume = figures.volume_at(M)
            if mean > 0 and volume >= threshold * mean:
                self._fire(alert, f"{symbol} volume {format_decimal(volume, 0)} this minute, "
                                  f"{volume / mean:.1f}x the {alert.window}-min mean", price=figures.last,
                           trade_id=trades[-1]["trade_id"])

    def flush(self, out: Output) -> None:
        if not self.firings:
            return
        firings, self.firings = self.firings, []
        out.db.append(lambda: alert_triggers_save(firings=firings))

        def push(pipe) -> None:
            for f in firings:
                if f.trigger_id is None:
                    continue
                metrics.ALERTS_TRIGGERED.labels(kind=f.kind).inc()
                body = {"id": f.trigger_id, "alert_id": f.alert_id, "kind": f.kind, "symbol": f.symbol,
                        "message": f.message, "price": None if f.price is None else _p(f.price),
                        "trade_id": f.trade_id, "ts": f.ts}
                pipe.publish(account_channel(f.account_id), AlertTriggered(account_id=f.account_id, alert=body).encode())

        out.redis.append(push)
        if any(f.email_to for f in firings):
            out.after.append(lambda: alert_emails_send(firings=firings))
