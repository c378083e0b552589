"""`python -m infra.local` as a subprocess on free ports with its own state
directory, and the plain HTTP calls the tests make to it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0
# Never through a proxy: everything here is on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    """One run of the local stack."""

    state_dir: Path
    app_path: str = "app:app"
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    dynamodb_port: int = field(default_factory=free_port)
    s3_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ports(self) -> list[int]:
        return [self.port, self.dynamodb_port, self.s3_port]

    def environment(self) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("TABLE_", "AWS_", "DYNAMODB_", "TOKEN_"))
        }
        env.update(
            PORT=str(self.port),
            DYNAMODB_PORT=str(self.dynamodb_port),
            S3_PORT=str(self.s3_port),
            LOCAL_DIR=str(self.state_dir),
            LOCAL_APP=self.app_path,
            PYTHONUNBUFFERED="1",
            **self.extra_env,
        )
        return env

    def start(self) -> subprocess.Popen[bytes]:
        """Start it; stdout and stderr go to a log file in the state directory."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        runs = len(list(self.state_dir.glob("stack-*.log")))
        self.log_path = self.state_dir / f"stack-{runs + 1}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.local"],
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self.process

    def wait_until_healthy(self, timeout_s: float = START_TIMEOUT_S) -> float:
        """Seconds until GET /api/health answers {"ok": true}."""
        assert self.process is not None
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if self.process.poll() is not None:
                raise AssertionError(f"the stack exited ({self.process.returncode}):\n{self.log()}")
            with contextlib.suppress(OSError, ValueError):
                if self.call("GET", "/api/health") == (200, {"ok": True}):
                    return time.monotonic() - started
            time.sleep(0.2)
        raise AssertionError(f"no health within {timeout_s} s:\n{self.log()}")

    def run(self) -> Stack:
        self.start()
        self.wait_until_healthy()
        return self

    def interrupt(self, signum: int = signal.SIGINT, timeout_s: float = 30.0) -> int:
        """Ctrl-C (SIGINT, or SIGTERM as a service manager stops it), then wait
        for it to exit; returns its exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the stack ignored signal {signum}:\n{self.log()}") from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def descendants(self) -> list[int]:
        """Every process started under the stack (read from /proc, Linux)."""
        assert self.process is not None
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, queue = [], [self.process.pid]
        while queue:
            for child in children.get(queue.pop(), []):
                found.append(child)
                queue.append(child)
        return found

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One HTTP request; the JSON body (or text) back with the status."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        url = self.base_url + path  # always http://127.0.0.1:PORT/…
        request = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with _OPENER.open(request, timeout=30) as response:
                return response.status, _decoded(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _decoded(error.read())

    def login(self, email: str, password: str = "demo-password") -> str:
        status, body = self.call(
            "POST", "/api/auth/login", {"service_id": "demo", "email": email, "password": password}
        )
        assert status == 200, body
        return str(body["token"])

    def ws_ticket(self, token: str) -> str:
        status, body = self.call("POST", "/api/auth/ws-ticket", {}, token=token)
        assert status == 200, body
        return str(body["ticket"])


def _decoded(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def process_gone(pid: int) -> bool:
    """True when no process has this pid (a zombie awaiting its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state == "Z"
    return True


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port (TIME_WAIT leftovers do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
