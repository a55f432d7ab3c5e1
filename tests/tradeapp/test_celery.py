import pytest

from tests.processes import running, venv_bin
from tradeapp.tasks import health_report_task

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_task_round_trip_through_a_real_worker_and_redis():
    argv = [venv_bin("celery"), "-A", "tradeapp", "worker", "-P", "solo", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "-Q", "celery", "--loglevel", "INFO"]
    with running(argv, log_name="celery-worker") as worker:
        result = health_report_task.delay()
        try:
            report = result.get(timeout=60)
        except Exception:
            raise AssertionError(worker.log_path.read_text()[-3000:])
    assert report["checks"]["database"] == {"status": "ok"}
    assert report["checks"]["redis"] == {"status": "ok"}
    assert result.successful()
