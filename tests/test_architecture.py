"""The matching engine stays a pure-Python core: no framework, no I/O client."""

import ast
import subprocess
from pathlib import Path

from tests.processes import ROOT, venv_bin

FORBIDDEN = {"django", "rest_framework", "channels", "channels_redis", "celery", "redis", "daphne"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_modules_import_no_framework():
    files = sorted((ROOT / "orders" / "engine").rglob("*.py"))
    assert files, "orders/engine/ has no modules"
    offenders = {str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN) for f in files}
    assert {f: bad for f, bad in offenders.items() if bad} == {}


def test_import_linter_contract_holds():
    result = subprocess.run([venv_bin("lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
