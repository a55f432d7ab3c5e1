"""Order notices (realtime.messages.OrderNotice) from the web process that took the request, to the
account's channel, after the request's transaction committed. Never raises: a notice is a courtesy
ahead of the engine's confirmation, which follows on the seq'd private stream whatever happens here."""

from django.db import transaction

from common.logging import get_logger
from common.redis import get_redis
from realtime.channels import account_channel
from realtime.messages import OrderNotice

log = get_logger("realtime.publish")


def order_notices_publish(*, account_id: int, event: str, orders: list[dict]) -> None:
    """Publish `event` for each order (as v1 writes it) on commit of the current transaction."""
    def publish() -> None:
        try:
            pipe = get_redis().pipeline(transaction=False)
            for order in orders:
                pipe.publish(account_channel(account_id), OrderNotice(account_id=account_id, event=event,
                                                                      order=order).encode())
            pipe.execute()
        except Exception:
            log.warning("order notices not published", exc_info=True)

    if orders:
        transaction.on_commit(publish)
