"""The processors of the analytics pipeline (analytics.pipeline), in the order `run_analytics`
runs them: figures, then users' alerts (which read the figures), then ops checks."""

from analytics.processors.alerts import AlertsProcessor
from analytics.processors.figures import FiguresProcessor
from analytics.processors.ops import OpsMonitor

__all__ = ["AlertsProcessor", "FiguresProcessor", "OpsMonitor"]
