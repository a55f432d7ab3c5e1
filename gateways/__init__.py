"""Entry points for protocols others defined: the Alpaca-compatible surface (gateways.alpaca)."""
