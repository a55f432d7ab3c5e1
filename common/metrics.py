"""The venue's own Prometheus metrics: the one module that knows their names.

Every process of the venue (each web worker, the engine, the feeds, the bots, Celery) records into
prometheus_client's multiprocess files under PROMETHEUS_MULTIPROC_DIR (set by the settings before
anything imports prometheus_client; `make run` clears it at start), and `/metrics` in any web
process serves the sum (`metrics_render`). Hot paths (each WebSocket message) count in plain
integers and add to these counters once a second, since each update here is a locked file write.
"""

import os
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

# --- the engine -----------------------------------------------------------------------------------
ENGINE_LAG = Histogram("venue_engine_lag_seconds", "Order accepted -> taken into an engine batch.", ["shard"],
                       buckets=SECONDS)
ENGINE_BATCH_COMMANDS = Histogram("venue_engine_batch_commands", "Commands per engine batch.", ["shard"],
                                  buckets=SIZES)
ENGINE_BATCH_SETTLE = Histogram("venue_engine_batch_settle_seconds", "Matching and settling one batch, commit included.",
                                ["shard"], buckets=SECONDS)
ENGINE_BATCH_PUBLISH = Histogram("venue_engine_batch_publish_seconds", "Publishing one committed batch.", ["shard"],
                                 buckets=SECONDS)
ENGINE_COMMANDS = Counter("venue_engine_commands", "Bus commands the engine processed, by kind.", ["shard", "kind"])
ENGINE_BATCH_FAILURES = Counter("venue_engine_batch_failures", "Batches that failed and were retried one by one.",
                                ["shard"])
ENGINE_MALFORMED = Counter("venue_engine_malformed_commands", "Bus entries that were not commands (dropped).",
                           ["shard"])

# --- order entry ----------------------------------------------------------------------------------
ORDERS_ACCEPTED = Counter("venue_orders_accepted", "Orders stored accepted and sent to the engine.", ["symbol"])
ORDERS_REFUSED = Counter("venue_orders_refused", "Orders refused at entry, by code (invalid ones included).",
                         ["code"])

# --- HTTP -----------------------------------------------------------------------------------------
HTTP_LATENCY = Histogram("venue_http_request_seconds", "HTTP requests by view, method and status class.",
                         ["view", "method", "status"], buckets=SECONDS)

# --- WebSockets -----------------------------------------------------------------------------------
WS_CONNECTIONS = Gauge("venue_ws_connections", "Open WebSocket connections.", multiprocess_mode="livesum")
WS_SUBSCRIPTIONS = Gauge("venue_ws_subscriptions", "(channel, symbol) subscriptions of open sockets.",
                         multiprocess_mode="livesum")
WS_MESSAGES_SENT = Counter("venue_ws_messages_sent", "Messages written to WebSocket clients.")
WS_MESSAGES_CONFLATED = Counter("venue_ws_messages_conflated", "Quotes, candles and heartbeats replaced by newer ones.")
WS_BOOK_DELTAS_DROPPED = Counter("venue_ws_book_deltas_dropped", "Book deltas dropped for a slow socket (it resyncs).")
WS_RESYNCS = Counter("venue_ws_resyncs", "Book snapshots sent to resync a socket.")
WS_SLOW_CLOSED = Counter("venue_ws_slow_consumers_closed", "Sockets closed 4008: their buffer stayed full.")

# --- feeds and bots -------------------------------------------------------------------------------
FEED_TICKS = Counter("venue_feed_ticks", "Ticks the feeds emitted.", ["feed"])
FEED_MALFORMED = Counter("venue_feed_malformed_inputs", "Feed inputs refused as malformed.", ["feed"])
FEED_RECONNECTS = Counter("venue_feed_reconnects", "Feed sessions that dropped and were retried.", ["feed"])
BOT_ORDERS = Counter("venue_bot_orders", "Bot order actions, by outcome.", ["bot", "action", "outcome"])

# --- analytics and alerts -----------------------------------------------------------------------
ANALYTICS_LAG = Histogram("venue_analytics_lag_seconds", "Engine batch published -> its analytics written.",
                          buckets=SECONDS)
ANALYTICS_ENTRIES = Counter("venue_analytics_entries", "Engine-stream entries the analytics process consumed.")
ANALYTICS_MALFORMED = Counter("venue_analytics_malformed_entries", "Engine-stream entries that were not batches.")
ALERTS_TRIGGERED = Counter("venue_alerts_triggered", "Users' alerts that fired, by kind.", ["kind"])
OPS_ALERTS = Counter("venue_ops_alerts", "Ops alerts raised, by kind.", ["kind"])

# --- Celery ---------------------------------------------------------------------------------------
CELERY_TASKS = Counter("venue_celery_tasks", "Celery task runs by task and outcome.", ["task", "outcome"])


def _forget_dead_processes(directory: str) -> None:
    """Drop the live-gauge files of processes that are gone (killed ones never said so)."""
    for name in os.listdir(directory):
        if name.startswith("gauge_live") and name.endswith(".db"):
            try:
                pid = int(name.rsplit("_", 1)[1][:-3])
                os.kill(pid, 0)
            except ProcessLookupError:
                multiprocess.mark_process_dead(pid, directory)
            except (ValueError, PermissionError):
                pass


class _ScrapeTimeGauges:
    """Figures read when scraped (e.g. each engine shard's heartbeat age, from Redis)."""

    def __init__(self, read: Callable[[], list[GaugeMetricFamily]]):
        self.read = read

    def collect(self):
        return self.read()


def metrics_render(*, scrape_time: Callable[[], list[GaugeMetricFamily]] | None = None) -> bytes:
    """The text exposition of every process's metrics (and the scrape-time ones)."""
    registry = CollectorRegistry()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and os.path.isdir(directory):
        _forget_dead_processes(directory)
        multiprocess.MultiProcessCollector(registry, path=directory)
    if scrape_time is not None:
        registry.register(_ScrapeTimeGauges(scrape_time))
    return generate_latest(registry)
