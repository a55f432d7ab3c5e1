"""Entry points that speak protocols others defined: the Alpaca-compatible surface (gateways.alpaca)
and FIX 4.4 (gateways.fix)."""
