"""Alpaca's WebSocket streams: `trade_updates` at /stream (JSON) and market data at /v2/iex
(msgpack), both fed by the web process's hub (realtime/hub/) like /ws/v1/."""
