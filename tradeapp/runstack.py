"""`make run`: every process of the Procfile under the supervisor (tradeapp/supervise.py), plus
the embedded Redis when REDIS_URL is unset. A process that exits is started again (with a
backoff); Ctrl-C (or SIGTERM) stops them all."""

import os
import shutil
import sys
from pathlib import Path

from honcho.environ import parse_procfile

from tradeapp.settings.base import BASE_DIR, EMBEDDED_REDIS_SOCKET, METRICS_DIR
from tradeapp.supervise import Supervisor


def main() -> int:
    procfile = parse_procfile((BASE_DIR / "Procfile").read_text())
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Every process records its metrics there (common/metrics.py); a new run counts from zero.
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)
    supervisor = Supervisor()
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = f"unix://{EMBEDDED_REDIS_SOCKET}"
        supervisor.add("redis", f"{sys.executable} -m tradeapp.embedded_redis serve", env=env, cwd=BASE_DIR)
    shards = int(env.get("ENGINE_SHARDS") or 1)
    for name, command in procfile.processes.items():
        if name == "engine" and shards > 1:  # one engine per shard (docs/operations.md)
            for shard in range(shards):
                supervisor.add(f"engine.{shard}", f"{command} --shard {shard}/{shards}", env=env, cwd=BASE_DIR)
        else:
            supervisor.add(name, command, env=env, cwd=BASE_DIR)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
