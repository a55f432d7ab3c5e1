"""Every benchmark in its short smoke mode, so that none can silently break: each must run to its
end, print its figures against its baseline, and find work done (a benchmark whose system under
test did nothing exits non-zero)."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.processes import ROOT, test_database_url
from tradeapp import embedded_redis


@pytest.fixture(scope="module")
def bench_redis(tmp_path_factory):
    """A Redis server of the benchmarks' own: they flush theirs, and another run on the machine's
    shared Redis must not be flushed under them (nor they under it)."""
    where = tmp_path_factory.mktemp("bench-redis")
    socket_path = where / "redis.sock"
    server = embedded_redis.start(socket_path, where / "data")
    embedded_redis.wait_until_ready(socket_path)
    yield f"unix://{socket_path}"
    embedded_redis.stop(server)
    shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(autouse=True)
def _redis_url(bench_redis, monkeypatch):
    monkeypatch.setenv("BENCH_REDIS_URL", bench_redis)


def run_bench(script: str, timeout: float, **extra_env: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(REDIS_URL=os.environ["BENCH_REDIS_URL"], PYTHONUNBUFFERED="1", **extra_env)
    result = subprocess.run([sys.executable, f"bench/{script}", "--smoke"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


def test_engine_benchmark_prints_its_ratios():
    out = run_bench("engine.py", timeout=120)
    assert "thin     ratio interpreted" in out and "deep     ratio interpreted" in out, out


@pytest.mark.slow
def test_websocket_fanout_benchmark_delivers_and_prints_the_ceiling():
    out = run_bench("ws_fanout.py", timeout=240)
    assert "websockets (ceiling)" in out and "uvicorn" in out, out


@pytest.mark.slow
def test_order_benchmark_accepts_orders_in_every_phase():
    out = run_bench("orders_e2e.py", timeout=300)
    assert "ratio single/bare" in out and "ratio batch/bare" in out and "engine lag at 50 orders/s" in out, out


def test_settle_profile_benchmark_prints_where_the_time_goes():
    out = run_bench("settle.py", timeout=180)
    assert "settle (handle_batch)" in out and "publish (publish_batch)" in out, out
    assert "publish with the engine stream on" in out and "publish with the engine stream off" in out, out


@pytest.mark.slow
def test_fault_matrix_smoke_the_venue_under_make_runs_supervisor_survives_kill_9s():
    """`make run`'s stack (its own embedded Redis, port and database: PostgreSQL when the suite
    runs on it) under load; kill -9 of the engine, a web worker and the embedded Redis: each time
    orders are accepted and filled again within 15 s, nothing acknowledged is lost or filled
    twice, the audit is clean, the books match and WebSocket clients resync (bench/faults.py
    exits non-zero otherwise)."""
    database = test_database_url()
    extra = {"DATABASE_URL": f"{database}_faults"} if database.startswith("postgres") else {}
    out = run_bench("faults.py", timeout=240, **extra)
    for fault in ("engine", "web worker 1", "redis"):
        assert re.search(rf"^\| {fault} +\| [0-9.]+ s +\| [0-9.]+ s +\| [1-9]\d* +\| 0 +\| 0 +\| 0 +\|", out, re.M) or \
            re.search(rf"^\| {fault} +\| - +\| [0-9.]+ s +\| [1-9]\d* +\| 0 +\| 0 +\| 0 +\|", out, re.M), out
    assert "processes left after the supervisor stopped: 0" in out, out


@pytest.mark.slow
def test_websocket_order_entry_benchmark_prints_its_ratio_and_latency():
    out = run_bench("ws_orders.py", timeout=300)
    assert "ratio ws/single" in out and "ack latency at 50/s offered" in out, out


@pytest.mark.slow
def test_analytics_benchmark_catches_up_and_prints_its_lag():
    out = run_bench("analytics.py", timeout=240)
    assert "analytics lag ms" in out and "p99" in out, out


@pytest.mark.slow
def test_risk_entry_benchmark_prints_the_cost_of_limits():
    out = run_bench("risk_entry.py", timeout=180)
    assert "limits cost order_place:" in out and "limits cost order_place_many:" in out, out


@pytest.mark.slow
def test_fix_order_entry_benchmark_prints_its_ratio_and_latency():
    out = run_bench("fix_orders.py", timeout=300)
    assert "ratio fix/single" in out and "first ExecutionReport at 50/s offered" in out, out
