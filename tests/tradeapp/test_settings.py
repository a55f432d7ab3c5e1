import os
import subprocess
import sys

from tests.processes import ROOT


def run_with(settings_module: str, code: str, **env: str) -> subprocess.CompletedProcess:
    child = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    child.update(DJANGO_SETTINGS_MODULE=settings_module, **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=child, capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_secret_key():
    result = run_with("tradeapp.settings.production", "import django; django.setup()")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_starts_with_secret_key_and_debug_off():
    result = run_with(
        "tradeapp.settings.production",
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY[:4])",
        SECRET_KEY="s3cr3t-from-the-environment-" + "x" * 40,
        DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False s3cr"


def test_production_settings_pass_check_deploy():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tradeapp.settings.production",
             "SECRET_KEY": "k9#Vd2!pQz7$Lm4@Xr8^Tn1&Wb6*Hc3(Jf5)Gs0_Ye" + "Aa1" * 10,
             "ALLOWED_HOSTS": "venue.example.com"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_dev_secret_key_is_generated_once_into_var(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_with("tradeapp.settings.dev", code, TRADEAPP_VAR_DIR=str(tmp_path))
    second = run_with("tradeapp.settings.dev", code, TRADEAPP_VAR_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.strip()) >= 50
    assert first.stdout == second.stdout
    assert (tmp_path / "secret_key").read_text().strip() == first.stdout.strip()
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_sqlite_default_uses_wal_immediate_transactions_and_busy_timeout(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]); "
        "print(connection.settings_dict['OPTIONS']['transaction_mode'], connection.settings_dict['OPTIONS']['timeout'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="tradeapp.settings.dev", TRADEAPP_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "IMMEDIATE", "20"]
