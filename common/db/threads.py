"""Blocking database work of an asyncio process, kept off its event loop."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial, wraps

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


class DbThreads:
    """A process's own threads for one kind of database work, each keeping its connection open
    between calls (Django's connections are per thread, and nothing here closes them, so a call
    costs no connect; `DB_CONN_MAX_AGE` is for request threads). A call that hits a database error
    closes its thread's connection, and the next call in that thread opens a fresh one.

    `await threads.run(fn, *args)` runs fn in one of them, never on the event loop. The pool is
    created on first use, so a process that never needs it starts no thread."""

    def __init__(self, name: str, size: int):
        self.name, self.size = name, size
        self._executor = None

    def run(self, fn: Callable, /, *args, **kwargs):
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix=self.name)
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._executor, partial(_reconnecting(fn), *args, **kwargs))

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
