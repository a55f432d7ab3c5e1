"""Browser tests: Debian's headless Chromium driven by Playwright's sync API against a real
Daphne, a real engine and (when the project has them) the bots, all on the test database.

Chromium comes from apt (`apt-get install chromium`) when /usr/bin/chromium is missing;
Playwright's own browser downloads are never used. Screenshots go to artifacts/.
"""

import os
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from django.core.management import call_command, get_commands

from tests.processes import ROOT, free_port, http_ok, running, venv_bin, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "artifacts"
TRADERS = {"alice": "alice-demo-pass", "bob": "bob-demo-pass", "ops": "ops-demo-pass"}


def install_chromium() -> None:
    """apt-get the browser (as root, or through sudo without a password)."""
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
        result = subprocess.run(prefix + argv, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            pytest.fail(f"could not install Chromium with {' '.join(argv)}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.path.exists(CHROMIUM):
        if not shutil.which("apt-get"):
            pytest.fail(f"{CHROMIUM} is missing and there is no apt-get to install it")
        install_chromium()
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} still missing after apt-get install chromium"
    return CHROMIUM


@pytest.fixture(scope="package")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(autouse=True)
def _sync_orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    plain synchronous code all the same."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class Web:
    """A Daphne process serving the project on a port of its own (restartable on that port)."""

    def __init__(self, port: int):
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self._context = None

    def start(self) -> None:
        argv = [venv_bin("daphne"), "-b", "127.0.0.1", "-p", str(self.port), "tradeapp.asgi:application"]
        self._context = running(argv, log_name="browser-daphne")
        process = self._context.__enter__()
        wait_for(lambda: http_ok(self.base_url + "/healthz") or process.poll() is not None, 30, "daphne /healthz")
        assert process.poll() is None, process.log_path.read_text()[-3000:]

    def stop(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None


def bots_available() -> bool:
    return "run_bots" in get_commands()


@pytest.fixture
def venue(engine):
    """The demo venue (seed_demo) served by Daphne, with the engine and, when present, the bots."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    web = Web(free_port())
    web.start()
    bot_process = None
    if bots_available() and os.environ.get("BROWSER_TESTS_BOTS", "1") == "1":
        bot_process = running([sys.executable, "manage.py", "run_bots", "--seed", "7"], log_name="browser-bots")
        bot_process.__enter__()
    web.bots = bot_process is not None
    try:
        yield web
    finally:
        if bot_process is not None:
            bot_process.__exit__(None, None, None)
        web.stop()


class ConsoleWatch:
    """Console errors and uncaught exceptions of the pages it watches."""

    def __init__(self):
        self.errors: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: uncaught {e}"))

    def unexpected(self, *allowed: str) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in allowed)]


@pytest.fixture
def console():
    return ConsoleWatch()


def login(browser, base_url: str, username: str, console: ConsoleWatch, *, viewport=(1440, 900)):
    """A fresh browser context logged in through the login page; returns its page."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, base_url=base_url)
    context.set_default_timeout(15000)
    page = context.new_page()
    console.watch(page)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TRADERS[username])
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")
    return page


def open_trade(page, symbol: str | None):
    """Open a symbol's trade screen (None: the page is on it already) and wait until it is live."""
    if symbol is not None:
        page.goto(f"/trade/{symbol}/")
    page.wait_for_selector('#conn[data-state="live"]')
    page.wait_for_selector('#ladder[data-state="live"]')
    # A locator wait: a string predicate (wait_for_function) would be refused by the pages' CSP.
    expect(page.locator("#account [data-field=cash]")).not_to_have_text("—")
    return page


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("+", ""))


def wait_until(predicate, timeout: float = 15, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
