"""The supervisor of `make run`: every process of the Procfile, restarted when it exits.

honcho's `Manager` stops everything when one process exits; this keeps honcho's console (its
`Printer` and colours: `HH:MM:SS name | line`, interleaved) and adds the restart loop:

- each process runs in a process group of its own (`start_new_session`), so that a signal
  reaches its children too (uvicorn's and Celery's workers);
- when a process exits, whatever is left of its group is killed (a uvicorn master killed -9
  leaves its workers holding the port), the exit is logged with its status or signal, and the
  process is started again after a backoff: 1 s, doubling up to 30 s, back to 1 s once it
  had stayed up a minute;
- SIGINT (one Ctrl-C) or SIGTERM stops every group with SIGTERM, then SIGKILL after
  `kill_wait` seconds; `run()` returns once no process of any group is left.
"""

import datetime
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from honcho.colour import get_colours
from honcho.printer import Message, Printer

SYSTEM = "system"
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"signal {-returncode} ({signal.Signals(-returncode).name})"
    return f"status {returncode}"


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to process group `pgid`; False when no process of it is left."""
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # only a foreign process can have taken the id
        return False


@dataclass
class Program:
    name: str
    command: str
    env: Mapping[str, str] | None
    cwd: Path | None
    colour: str | None
    child: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = 0.0  # the next restart's backoff
    restart_at: float | None = None
    restarts: int = 0
    exited: threading.Event = field(default_factory=threading.Event)

    @property
    def shell_command(self) -> str:
        # `exec` makes the program the group's leader, so its exit status is the program's own
        # (a signal included) rather than the shell's.
        return self.command if any(c in self.command for c in ";&|\n") else f"exec {self.command}"


class Supervisor:
    def __init__(self, *, printer: Printer | None = None, backoff: float = 1.0, backoff_max: float = 30.0,
                 reset_after: float = 60.0, kill_wait: float = 10.0):
        self.printer = printer or Printer()
        self.printer.width = len(SYSTEM)
        self.backoff, self.backoff_max, self.reset_after, self.kill_wait = backoff, backoff_max, reset_after, kill_wait
        self.programs: dict[str, Program] = {}
        self.events: queue.Queue = queue.Queue()
        self.stopping: int | None = None  # the signal that asked to stop
        self._colours = get_colours()

    def add(self, name: str, command: str, *, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        assert name not in self.programs, name
        self.programs[name] = Program(name, command, env, cwd, next(self._colours), delay=self.backoff)
        self.printer.width = max(self.printer.width, len(name))

    def pids(self) -> dict[str, int]:
        """The running programs' pids (each its group's id)."""
        return {p.name: p.child.pid for p in self.programs.values() if p.child is not None and not p.exited.is_set()}

    def stop(self, signum: int = signal.SIGTERM, frame=None) -> None:
        if self.stopping is None:
            self.stopping = signum  # the loop looks at least every 0.2 s (a signal handler must not take the queue's lock)

    def run(self) -> int:
        """Start every program and keep them running until `stop` (or SIGINT/SIGTERM)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self.stop)
            signal.signal(signal.SIGTERM, self.stop)
        for program in self.programs.values():
            self._start(program)
        while self.stopping is None:
            self._handle(self._next_event(timeout=self._until_next_restart()))
            now = time.monotonic()
            for program in self.programs.values():
                if program.restart_at is not None and now >= program.restart_at and self.stopping is None:
                    self._start(program)
        self._say(f"{signal.Signals(self.stopping).name} received; stopping every process")
        self._shutdown()
        return EXIT_CODES.get(self.stopping, 0)

    # --- the loop -----------------------------------------------------------------------------
    def _until_next_restart(self) -> float:
        due = [p.restart_at for p in self.programs.values() if p.restart_at is not None]
        return max(0.0, min([0.2, *[d - time.monotonic() for d in due]]))

    def _next_event(self, timeout: float):
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def _handle(self, event) -> None:
        if event is None:
            return
        kind, program, data = event
        if kind == "line":
            self._print(program.name, program.colour, data)
        elif kind == "exit" and self.stopping is None:
            up = time.monotonic() - program.started
            if up >= self.reset_after:
                program.delay = self.backoff
            program.restart_at = time.monotonic() + program.delay
            program.restarts += 1
            self._say(f"{program.name} exited with {describe_exit(data)} after {up:.1f} s; "
                      f"restart {program.restarts} in {program.delay:g} s")
            program.delay = min(program.delay * 2, self.backoff_max)

    def _start(self, program: Program) -> None:
        program.restart_at = None
        program.exited = threading.Event()
        program.child = child = subprocess.Popen(
            program.shell_command, shell=True, env=program.env, cwd=program.cwd, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        program.started = time.monotonic()
        self._say(f"{program.name} started (pid={child.pid})")
        reader = threading.Thread(target=self._read, args=(program, child), daemon=True)
        reader.start()
        threading.Thread(target=self._wait, args=(program, child, reader), daemon=True).start()

    def _read(self, program: Program, child: subprocess.Popen) -> None:
        for line in iter(child.stdout.readline, b""):
            self.events.put(("line", program, line))
        child.stdout.close()

    def _wait(self, program: Program, child: subprocess.Popen, reader: threading.Thread) -> None:
        returncode = child.wait()
        signal_group(child.pid, signal.SIGKILL)  # what the leader left behind
        reader.join(timeout=5)
        program.exited.set()
        self.events.put(("exit", program, returncode))

    def _shutdown(self) -> None:
        running = [p for p in self.programs.values() if p.child is not None and not p.exited.is_set()]
        for program in running:
            self._say(f"sending SIGTERM to {program.name} (pid {program.child.pid})")
            signal_group(program.child.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.kill_wait
        while any(not p.exited.is_set() for p in running):
            if time.monotonic() > deadline:
                for program in running:
                    if not program.exited.is_set():
                        self._say(f"sending SIGKILL to {program.name} (pid {program.child.pid})")
                        signal_group(program.child.pid, signal.SIGKILL)
                deadline = float("inf")
            self._flush(timeout=0.05)
        self._flush(timeout=0)
        for program in running:
            self._say(f"{program.name} stopped ({describe_exit(program.child.returncode)})")

    def _flush(self, timeout: float) -> None:
        event = self._next_event(timeout)
        while event is not None:
            if event[0] == "line":
                self._handle(event)
            event = self._next_event(0)

    # --- the console --------------------------------------------------------------------------
    def _print(self, name: str, colour: str | None, data: bytes | str) -> None:
        self.printer.write(Message(type="line", data=data, time=datetime.datetime.now(), name=name, colour=colour))

    def _say(self, text: str) -> None:
        self._print(SYSTEM, None, text + "\n")
