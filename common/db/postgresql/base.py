"""PostgreSQL, with a cheaper check that a kept connection is still alive.

With persistent connections Django checks the connection at the start of each request
(CONN_HEALTH_CHECKS) by running `SELECT 1`: a round trip per request, about 5% of an order's web
CPU. The socket of a connection that the server has closed (restart, idle timeout,
pg_terminate_backend) turns readable at once, with the server's last message and end of file,
while an idle healthy one has nothing to read. So a readable socket, or libpq reporting the
connection broken or inside a transaction, falls back to Django's `SELECT 1`; a quiet idle one is
taken as usable. A server that vanished without closing the connection is caught by neither check in
less than a TCP timeout.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        try:
            pgconn = self.connection.pgconn
            if pgconn.status == pq.ConnStatus.OK and pgconn.transaction_status == pq.TransactionStatus.IDLE:
                poller = select.poll()
                poller.register(pgconn.socket, select.POLLIN)
                if not poller.poll(0):
                    return True
        except Exception:  # noqa: BLE001 - any doubt goes to the real check
            pass
        return super().is_usable()
