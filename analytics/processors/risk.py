"""The risk monitor stage (docs/risk.md): as prices move, the daily loss of every account that has a
limit is watched and a breach trips the account's kill switch (orders.services.risk_monitor).

`on_batch` notes the symbols that traded (the engine stores each one's last price with its batch,
so the marks are in the database by the time the batch is on the stream); after a run, at most every
RISK_MONITOR_INTERVAL seconds, a pass over the accounts with a daily loss limit that hold one of them
runs in the database thread, after the run's commit (a failure there is logged and the next pass
retries: a trip happens once). Every RISK_MONITOR_FULL_SECONDS a pass covers every watched account
(reference prices move marks without trades). A trip tells the trader (an `alert` of kind
`risk_trip` on their private stream, as users' alerts are pushed) and ops (an ops alert
`risk_breach` for the account)."""

import time

from django.conf import settings

from analytics.pipeline import BaseProcessor, Context, Output
from analytics.services.ops import ops_alert_raise
from common.decimals import format_decimal
from common.logging import get_logger
from common.redis import get_redis
from common.times import utc_iso
from orders.services.risk_monitor import risk_monitor_run
from orders.services.trip import Trip
from realtime.channels import account_channel
from realtime.messages import AlertTriggered, EngineBatch

log = get_logger("analytics.risk")


def trip_notify(trip: Trip) -> None:
    """Tell the trader (private `alert`) and ops (an ops alert) of a trip."""
    body = {"id": f"risk-{trip.event_id}", "alert_id": None, "kind": "risk_trip", "code": trip.code,
            "symbol": None, "message": f"Trading stopped: {trip.detail}. {len(trip.canceled)} open order(s) canceled.",
            "price": None, "trade_id": None, "today_pl": None if trip.today_pl is None else format_decimal(trip.today_pl, 2),
            "canceled": len(trip.canceled), "ts": utc_iso()}
    get_redis().publish(account_channel(trip.account_id), AlertTriggered(account_id=trip.account_id, alert=body).encode())
    ops_alert_raise(kind="risk_breach", subject=str(trip.account_id),
                    detail=f"Account {trip.account_id} tripped ({trip.code}): {trip.detail}; "
                           f"{len(trip.canceled)} open order(s) canceled.")


class RiskMonitor(BaseProcessor):
    name = "risk"

    def __init__(self, *, interval: float | None = None, full_every: float | None = None):
        self.interval = settings.RISK_MONITOR_INTERVAL if interval is None else interval
        self.full_every = settings.RISK_MONITOR_FULL_SECONDS if full_every is None else full_every
        self.pending: set[str] = set()
        self.next_run = 0.0
        self.next_full = time.monotonic() + self.full_every

    def restore(self) -> None:
        self.next_full = 0.0  # after a restart, one pass over everyone first

    def on_batch(self, entry_id: str, batch: EngineBatch, out: Output) -> None:
        for symbol, change in batch.symbols.items():
            if change.get("trades"):
                self.pending.add(symbol)

    def flush(self, out: Output) -> None:
        self._schedule(out)

    async def tick(self, ctx: Context, out: Output) -> None:
        self._schedule(out)

    def _schedule(self, out: Output) -> None:
        now = time.monotonic()
        if now < self.next_run:
            return
        full = self.full_every > 0 and now >= self.next_full
        if not full and not self.pending:
            return
        symbols = None if full else sorted(self.pending)
        self.pending.clear()
        self.next_run = now + self.interval
        if full:
            self.next_full = now + self.full_every

        def run() -> None:
            trips = risk_monitor_run(symbols=symbols, notify=trip_notify)
            if trips:
                log.warning("risk monitor tripped accounts", accounts=[t.account_id for t in trips])

        out.after.append(run)
