"""The FIX 4.4 gateway (`manage.py run_fix`, docs/fix.md): order entry, drop copy and market data
sessions over TCP. The codec is simplefix; the session layer (logon, sequence numbers kept in the
database, resend, heartbeats, rejects) is ours, in `session`; order entry maps to the same
services as REST (`orders.services`), order events come from the engine's private publication."""
