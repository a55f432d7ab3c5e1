"""Entry points that speak other protocols than the venue's own: FIX 4.4 (gateways.fix)."""
