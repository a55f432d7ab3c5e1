"""`make run`: every process of the Procfile under honcho, plus the embedded Redis
when REDIS_URL is unset. Ctrl-C (or SIGTERM) stops them all."""

import os
import shutil
import sys
from pathlib import Path

from honcho.environ import parse_procfile
from honcho.manager import Manager

from tradeapp.settings.base import BASE_DIR, EMBEDDED_REDIS_SOCKET, METRICS_DIR


def main() -> int:
    procfile = parse_procfile((BASE_DIR / "Procfile").read_text())
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Every process records its metrics there (common/metrics.py); a new run counts from zero.
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)
    manager = Manager()
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = f"unix://{EMBEDDED_REDIS_SOCKET}"
        manager.add_process("redis", f"{sys.executable} -m tradeapp.embedded_redis serve", env=env, cwd=BASE_DIR)
    for name, command in procfile.processes.items():
        manager.add_process(name, command, env=env, cwd=BASE_DIR)
    manager.loop()
    return manager.returncode


if __name__ == "__main__":
    sys.exit(main())
