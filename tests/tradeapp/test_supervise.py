"""The supervisor of `make run` (tradeapp/supervise.py) on small real programs: a killed program
comes back after its backoff, what it left in its group dies with it, and one SIGINT leaves no
process of any group."""

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.processes import ROOT, wait_for
from tradeapp.supervise import Supervisor, describe_exit

SLEEPER = f"{sys.executable} -c 'import time; print(\"up\", flush=True); time.sleep(600)'"
# A leader with a child of its own in its group (as uvicorn's master and its workers).
FAMILY = f"{sys.executable} -c 'import subprocess, time; subprocess.Popen([\"sleep\", \"600\"]); print(\"up\", flush=True); time.sleep(600)'"


class Console(io.StringIO):
    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


def group_alive(pgid: int) -> bool:
    """A process of group `pgid` is left, zombies (dead, not reaped yet) not counted."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


@pytest.fixture
def supervised():
    """A Supervisor (short backoffs) running in a thread; stopped at the end."""
    from honcho.printer import Printer

    console = Console()
    supervisor = Supervisor(printer=Printer(console), backoff=0.3, backoff_max=1.2, reset_after=30, kill_wait=5)
    thread = threading.Thread(target=supervisor.run, daemon=True)
    supervisor.console, supervisor.start = console, thread.start
    yield supervisor
    supervisor.stop()
    thread.join(timeout=20)
    assert not thread.is_alive()


def test_exit_descriptions():
    assert describe_exit(-9) == "signal 9 (SIGKILL)"
    assert describe_exit(3) == "status 3"


def test_a_killed_program_is_restarted_with_a_doubling_backoff_and_its_group_killed(supervised):
    supervised.add("family", FAMILY)
    supervised.start()
    pids = []
    for restart, delay in enumerate([0.3, 0.6, 1.2, 1.2], start=1):
        wait_for(lambda: "family" in supervised.pids() and supervised.pids()["family"] not in pids, 20, "a new process")
        pid = supervised.pids()["family"]
        pids.append(pid)
        wait_for(lambda: supervised.console.getvalue().count("| up") == restart, 20, "the program's output")
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: supervised.pids().get("family") not in (None, pid), 20, "the restart")
        assert time.monotonic() - killed >= delay
        wait_for(lambda: not group_alive(pid), 10, "the group's leftover child killed")
        assert f"family exited with signal 9 (SIGKILL) after" in supervised.console.getvalue()
        assert re.search(rf"restart {restart} in {delay:g} s", supervised.console.getvalue())
    assert re.search(r"^\d\d:\d\d:\d\d family +\| up$", supervised.console.getvalue(), re.M)


def test_a_program_up_longer_than_the_reset_time_restarts_after_the_first_backoff_again(supervised):
    supervised.reset_after = 1.0
    supervised.add("sleeper", SLEEPER)
    supervised.start()
    for restart in (1, 2):
        wait_for(lambda: "sleeper" in supervised.pids(), 20, "the program")
        pid = supervised.pids()["sleeper"]
        time.sleep(1.1)  # the time up that resets the backoff is what is tested
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: supervised.pids().get("sleeper") not in (None, pid), 20, "the restart")
        assert f"restart {restart} in 0.3 s" in supervised.console.getvalue()


def test_one_sigint_stops_every_program_and_leaves_no_process():
    script = (
        "import sys; from tradeapp.supervise import Supervisor\n"
        "s = Supervisor()\n"
        f"s.add('family', {FAMILY!r}); s.add('sleeper', {SLEEPER!r})\n"
        "sys.exit(s.run())\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    pids = []
    for line in process.stdout:
        pids += [int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", line)]
        if line.rstrip().endswith("| up") and "sleeper" in line:
            break
    wait_for(lambda: len(pids) == 2, 10, "both programs")
    process.send_signal(signal.SIGINT)
    out = process.communicate(timeout=30)[0]
    assert process.returncode == 130, out
    assert "SIGINT received; stopping every process" in out
    assert "family stopped (signal 15 (SIGTERM))" in out and "sleeper stopped" in out, out
    wait_for(lambda: not any(group_alive(pid) for pid in pids), 5, "no process of any group")
