"""Streaming analytics and alerts: `run_analytics` folds the engine's stream into per-symbol figures,
evaluates users' alerts and raises ops alerts (docs/analytics.md). An entry point: it sits beside
ui and bots, above realtime."""
