"""Market data feeds: simulated, CSV replay, UDP and an Alpaca-style WebSocket client, each
normalizing into `Tick`, and the reference price writer they feed. See docs/feeds_and_bots.md."""
