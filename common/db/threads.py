"""Blocking database work of an asyncio process, kept off its event loop."""

from collections.abc import Callable
from functools import wraps

from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections


def _reconnecting(fn: Callable) -> Callable:
    @wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DatabaseError:
            # A dropped connection stays broken in a long-lived process: let the next call
            # open a fresh one.
            close_old_connections()
            raise

    return call


def in_db_thread(fn: Callable) -> Callable:
    """`await in_db_thread(fn)(...)`: run fn in the process's one thread that owns the database
    connection (asgiref's thread-sensitive executor), never on the event loop."""
    return sync_to_async(_reconnecting(fn), thread_sensitive=True)
