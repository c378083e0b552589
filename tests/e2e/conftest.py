"""Browser tests against the real local stack.

`local_stack` starts `python -m infra.local` once per test session, on free
ports and with a temporary data directory, and stops it with SIGINT (as Ctrl-C
would) at the end. `browser` is Debian's Chromium driven by Playwright; the
tests never download a browser. Both are general: any e2e test may use them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT_S = 90.0
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Settings of the test session's own environment that must not leak into the
# stack (the unit tests' conftest sets them for moto).
_NOT_FOR_THE_STACK = ("TABLE_PREFIX", "WS_URL", "DYNAMODB_ENDPOINT", "TOKEN_SECRET",
                      "PUBLIC_BASE_URL", "API_BASE_URL", "AWS_ENDPOINT_URL")


@dataclass(frozen=True)
class LocalStack:
    base_url: str
    api_url: str
    ws_url: str
    data_dir: Path
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together so they differ)."""
    probes = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind(("127.0.0.1", 0))
            probes.append(probe)
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def get_json(url: str, timeout: float = 2.0) -> Any:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"only the local stack is asked: {url}")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def _wait_healthy(stack: LocalStack, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited early:\n{stack.log_tail()}")
        try:
            if get_json(stack.api_url + "/health").get("ok") is True:
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the local stack was not healthy in {STARTUP_TIMEOUT_S} s:\n"
                       f"{stack.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def start_local_stack(extra_env: dict[str, str] | None = None) -> tuple[LocalStack, Any]:
    """Start a stack; returns it and a function that stops it and cleans up."""
    port, dynamodb_port, s3_port = free_ports(3)
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-e2e-"))
    log_path = data_dir / "stack.log"
    env = {k: v for k, v in os.environ.items() if k not in _NOT_FOR_THE_STACK}
    env.update(
        PORT=str(port),
        DYNAMODB_PORT=str(dynamodb_port),
        S3_PORT=str(s3_port),
        LOCAL_DIR=str(data_dir / "state"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # Every browser and scripted customer here comes from one loopback address,
        # hundreds of sessions a run: the per-IP limit is tested elsewhere.
        WIDGET_SESSIONS_BURST="5000",
        **(extra_env or {}),
    )
    base_url = f"http://127.0.0.1:{port}"
    stack = LocalStack(base_url, base_url + "/api", f"ws://127.0.0.1:{port}/ws", data_dir,
                       log_path)
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        _stop(process)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)

    try:
        _wait_healthy(stack, process)
        _raise_abuse_caps(stack)
    except BaseException:
        stop()
        raise
    return stack, stop


def _raise_abuse_caps(stack: LocalStack) -> None:
    """Every browser and scripted customer of a test session comes from one
    loopback address, many chats left open: above the caps a service keeps
    against abuse by default (tested in tests/api/test_abuse_caps.py)."""
    def call(method: str, path: str, body: Any, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(  # noqa: S310 - the local stack on loopback
            stack.api_url + path, json.dumps(body).encode(), headers, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return json.loads(response.read() or b"null")

    login = call("POST", "/auth/login", {"service_id": "demo", "email": "admin@demo.test",
                                         "password": os.environ.get("DEMO_PASSWORD",
                                                                    "demo-password")})
    call("PUT", "/settings", {"max_open_chats_per_address": 1000, "max_queue": 1000},
         login["token"])


@contextlib.contextmanager
def running_stack(extra_env: dict[str, str] | None = None) -> Iterator[LocalStack]:
    """A stack of its own (e.g. with a gateway that drops sockets early), stopped
    and cleaned up however the block ends."""
    stack, stop = start_local_stack(extra_env)
    try:
        yield stack
    finally:
        stop()


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    """The whole product on loopback, for the whole test session."""
    running = os.environ.get("E2E_BASE_URL")
    if running:  # a stack you already run (`make run`): faster while developing
        base_url = running.rstrip("/")
        yield LocalStack(base_url, base_url + "/api",
                         base_url.replace("http", "ws", 1) + "/ws", Path(), Path())
        return
    with running_stack() as stack:
        yield stack


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    """Debian's Chromium (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile per test: its own storage, nothing shared."""
    context = browser.new_context(viewport={"width": 1100, "height": 760}, locale="en-US")
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# --- the demo service's people, shared by the browser test modules ----------------------


@pytest.fixture(scope="module")
def shop() -> Iterator[Any]:
    """A customer's site on another origin than the widget's."""
    from tests.e2e.widget_page import host_site

    with host_site() as site:
        yield site


@pytest.fixture(scope="module")
def admin(local_stack: LocalStack) -> Iterator[Any]:
    """The demo service's admin over the API."""
    from tests.e2e.operator_client import ADMIN_EMAIL, Operator

    account = Operator(local_stack.api_url, email=ADMIN_EMAIL)
    yield account
    account.close()


@pytest.fixture(scope="module")
def operator_account(local_stack: LocalStack) -> Iterator[Any]:
    """The demo operator over the API, its console socket connected."""
    from tests.e2e.operator_client import Operator

    account = Operator(local_stack.api_url)
    account.connect()
    yield account
    account.close()


@pytest.fixture
def customers(local_stack: LocalStack) -> Iterator[Any]:
    """Make customers (widget clients over the API); all closed after the test."""
    from tests.e2e.console_helpers import Customer

    started: list[Any] = []

    def new() -> Any:
        customer = Customer(local_stack.api_url)
        started.append(customer)
        return customer

    yield new
    for customer in started:
        customer.close()


@pytest.fixture
def consoles(browser: Any, admin: Any, operator_account: Any) -> Iterator[Any]:
    """Consoles and widgets in browser profiles of their own (console_helpers.
    Consoles): nobody online and nothing open before and after; any JavaScript
    error on their pages fails the test. A module needing more set-up or clean-up
    defines a `consoles` fixture of its own that asks for this one."""
    from tests.e2e.console_helpers import Consoles
    from tests.e2e.operator_client import settle

    settle(admin, operator_account)
    opened = Consoles(browser)
    yield opened
    opened.close()
    settle(admin, operator_account)
    assert opened.errors == [], f"JavaScript errors: {opened.errors}"


@pytest.fixture
def nobody_online(admin: Any, operator_account: Any) -> Iterator[None]:
    """Nobody online, no chats open or queued, before and after."""
    from tests.e2e.operator_client import settle

    settle(admin, operator_account)
    yield
    settle(admin, operator_account)
