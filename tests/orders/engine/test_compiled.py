"""The compiled engine passes the same tests as the interpreted one.

A clean checkout has no extension modules, so the rest of this suite tests the engine
interpreted. This test copies the engine sources, their tests and the benchmark pieces
the tests load into a temporary directory, compiles the engine there with
``python -m orders.build_engine --strict`` (mypyc, pinned in requirements.txt), and runs
the engine test suite against the compiled modules in a subprocess. Nothing is built in
the working tree.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
COPIED = ["orders/__init__.py", "orders/build_engine.py", "orders/engine", "tests/__init__.py",
          "tests/orders/__init__.py", "tests/orders/engine"]
ARTEFACTS = ("*.so", "*.pyd", "__pycache__", ".hypothesis", ".pytest_cache", ".mypy_cache")

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
# A plugin of the child pytest: the session stops unless it loaded the compiled copy.
EXPECT_COMPILED = """
from pathlib import Path

import orders.engine
import orders.engine.entry


def pytest_sessionstart(session):
    where = Path(orders.engine.entry.__file__)
    assert orders.engine.COMPILED, f"interpreted engine loaded: {where}"
    assert where.is_relative_to(Path(__file__).parent), f"engine loaded from {where}"


def pytest_report_header(config):
    return f"engine COMPILED={orders.engine.COMPILED} ({orders.engine.entry.__file__})"
"""

pytestmark = pytest.mark.slow


def _missing_build_tools():
    return [m for m in ("mypyc", "setuptools") if importlib.util.find_spec(m) is None]


def _working_tree_extensions():
    return sorted((ROOT / "orders" / "engine").glob("*.so"))


@pytest.mark.skipif(bool(_missing_build_tools()),
                    reason="mypyc/setuptools not installed (pip install -r requirements.txt): "
                           "the compiled engine cannot be built here")
def test_compiled_engine_passes_the_engine_suite(tmp_path):
    before = _working_tree_extensions()
    for rel in COPIED:
        src, dst = ROOT / rel, tmp_path / rel
        if src.is_dir():
            skip = shutil.ignore_patterns(*ARTEFACTS, "test_compiled.py")  # no recursion
            shutil.copytree(src, dst, ignore=skip)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    (tmp_path / "pytest.ini").write_text(INI)
    (tmp_path / "expect_compiled.py").write_text(EXPECT_COMPILED)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTEST_ADDOPTS", "DJANGO_SETTINGS_MODULE", "PYTHONSTARTUP")}
    env["PYTHONPATH"] = str(tmp_path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"

    def run(*args, timeout):
        return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=timeout)

    built = run("-m", "orders.build_engine", "--strict", timeout=240)
    assert built.returncode == 0, \
        f"mypyc build failed:\n{built.stdout[-3000:]}{built.stderr[-3000:]}"

    suite = run("-m", "pytest", "tests/orders/engine", "-p", "no:django", "-p", "no:cacheprovider",
                "-p", "expect_compiled", "-o", "addopts=", "--confcutdir=tests/orders/engine",
                "-c", "pytest.ini", "--rootdir", str(tmp_path), timeout=240)
    summary = suite.stdout.strip().splitlines()[-1] if suite.stdout.strip() else ""
    assert suite.returncode == 0, \
        f"compiled engine tests failed:\n{suite.stdout[-6000:]}{suite.stderr[-2000:]}"
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    assert "engine COMPILED=True" in suite.stdout

    assert _working_tree_extensions() == before, "the test built in the working tree"
