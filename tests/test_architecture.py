"""The layers of docs/architecture.md hold: the import-linter contracts (the engine is pure; each
layer imports only from below), no function-local import across apps, and no module so long that
it holds more than one concept."""

import ast
import subprocess
from pathlib import Path

from tests.processes import ROOT, venv_bin

FORBIDDEN = {"django", "rest_framework", "channels", "channels_redis", "celery", "redis", "daphne"}
APPS = ("common", "marketdata", "orders", "realtime", "bots", "ui", "reports", "tradeapp")
MAX_LINES = 400
# Function-local imports that must stay so, each with its reason.
LOCAL_IMPORTS_ALLOWED = {
    ("tradeapp/urls.py", "bench"),  # the benchmark's endpoint exists only when BENCHMARK_ENDPOINTS=1
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def app_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_engine_modules_import_no_framework():
    files = sorted((ROOT / "orders" / "engine").rglob("*.py"))
    assert files, "orders/engine/ has no modules"
    offenders = {str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN) for f in files}
    assert {f: bad for f, bad in offenders.items() if bad} == {}


def test_import_linter_contracts_hold():
    result = subprocess.run([venv_bin("lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def _local_imports(path: Path):
    """(imported root, line) of each import inside a function, other than Django's AppConfig.ready
    (where importing models is how Django wants it) and typing-only blocks."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or function.name == "ready":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                yield from ((alias.name.split(".")[0], node.lineno) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield node.module.split(".")[0], node.lineno


def test_no_function_local_import_across_apps():
    found = []
    for path in app_modules():
        rel = str(path.relative_to(ROOT))
        for root, line in _local_imports(path):
            if (root in APPS or root == "bench") and (rel, root) not in LOCAL_IMPORTS_ALLOWED:
                found.append(f"{rel}:{line} imports {root}")
    assert found == []


def test_no_module_passes_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in app_modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
