"""The venue as `make run` runs it (`python -m tradeapp.runstack`: the Procfile and the embedded
Redis under the supervisor), on a database, a port and a var/ directory of the caller's, for
the fault matrix (bench/faults.py) and its tests.

    stack = Stack(var_dir=..., database_url=..., port=...)
    stack.start(); stack.pid("engine"); stack.web_workers(); stack.kill("engine"); stack.stop()
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTED = re.compile(r"\| (\S+) started \(pid=(\d+)\)")
EXITED = re.compile(r"\| (\S+) exited with (.+?) after")
PROGRAMS = ("redis", "web", "worker", "beat", "engine", "feed", "bots")


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of a live process, None when gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1]), int(fields[2])


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group `pgid`."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = proc_stat(int(entry))
            if stat is not None and stat[2] == pgid and stat[0] != "Z":
                members.append(int(entry))
    return members


class Stack:
    def __init__(self, *, var_dir: Path, database_url: str, port: int, env: dict[str, str] | None = None):
        self.var_dir, self.database_url, self.port = Path(var_dir), database_url, port
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.pids: dict[str, int] = {}
        self.groups: set[int] = set()  # every group the supervisor started, for the final check
        self.started_at: dict[str, list[float]] = {}
        self.exits: list[tuple[float, str, str]] = []
        self.log_path = self.var_dir / "stack.log"
        self.lock = threading.Lock()

    @property
    def redis_url(self) -> str:
        return f"unix://{self.var_dir / 'redis.sock'}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR")}
        env.update(TRADEAPP_VAR_DIR=str(self.var_dir), DATABASE_URL=self.database_url, WEB_PORT=str(self.port),
                   WEB_HOST="127.0.0.1", PYTHONUNBUFFERED="1", LOG_JSON="0", **self.extra_env)
        return env

    def start(self, timeout: float = 120) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen([sys.executable, "-m", "tradeapp.runstack"], cwd=ROOT, env=self.env(),
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait(lambda: all(name in self.pids for name in PROGRAMS), timeout, "every program started")
        self.wait(self.healthy, timeout, "the web server")

    def _read(self) -> None:
        with open(self.log_path, "ab") as log:
            for raw in iter(self.process.stdout.readline, b""):
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace")
                with self.lock:
                    if started := STARTED.search(line):
                        name, pid = started[1], int(started[2])
                        self.pids[name] = pid
                        self.groups.add(pid)
                        self.started_at.setdefault(name, []).append(time.time())
                    elif exited := EXITED.search(line):
                        self.exits.append((time.time(), exited[1], exited[2]))

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def wait(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.process.poll() is not None:
                raise RuntimeError(f"the supervisor exited ({self.process.returncode}); see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout} s waiting for {what}; see {self.log_path}")
            time.sleep(0.1)

    def pid(self, name: str) -> int:
        with self.lock:
            return self.pids[name]

    def web_workers(self) -> list[int]:
        """uvicorn's worker processes (children of the web program running multiprocessing's spawn_main)."""
        master = self.pid("web")
        workers = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (proc_stat(int(entry)) or ("", 0, 0))[1] == master:
                try:
                    cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"spawn_main" in cmdline:
                    workers.append(int(entry))
        return sorted(workers)

    def kill(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def restarted_since(self, name: str, when: float) -> float | None:
        """Seconds from `when` to the supervisor's next start of `name`, None if not yet."""
        with self.lock:
            later = [t for t in self.started_at.get(name, []) if t >= when]
        return later[0] - when if later else None

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM to the supervisor (as Ctrl-C); returns how many processes of its groups were left."""
        if self.process is None or self.process.poll() is not None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(group_members(g) for g in self.groups):
            time.sleep(0.1)
        left = [pid for g in self.groups for pid in group_members(g)]
        for pid in left:
            self.kill(pid)
        return len(left)
