import pytest
from asgiref.sync import sync_to_async
from django.db import connections


@pytest.fixture(autouse=True)
async def _close_the_database_thread_connection():
    """The code under test reaches the database from asgiref's one sync thread; close that
    thread's connection after each test, or PostgreSQL cannot drop the test database."""
    yield
    await sync_to_async(connections.close_all)()
