"""The processors of the analytics pipeline (analytics.pipeline), in the order `run_analytics`
runs them: figures, then users' alerts (which read the figures), then ops checks, then the risk monitor."""

from analytics.processors.alerts import AlertsProcessor
from analytics.processors.figures import FiguresProcessor
from analytics.processors.ops import OpsMonitor
from analytics.processors.risk import RiskMonitor

__all__ = ["AlertsProcessor", "FiguresProcessor", "OpsMonitor", "RiskMonitor"]
