"""The Python `chalice package` runs under, and so the functions' Lambda runtime.

Chalice takes the runtime from the Python it runs under (python3.X, for 3.10 to
3.14) and downloads the dependencies' wheels for that Python's ABI and the
stage's `lambda_architecture`. `make run` and the tests run on .venv (Python
3.11); the package is built by LAMBDA_PYTHON, the newest Python that both Lambda
and this machine have, in its own venv, build/py313: requirements.txt plus
requirements-dev.txt's chalice, made again when either changes (its stamp holds
their hash) and otherwise reused.

The interpreter: $BUILD_PYTHON if set, else pyenv's newest 3.13.x, else a
`python3.13` on PATH. With none, packaging falls back to the Python running it
(the functions then get that runtime) and says so on stderr.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAMBDA_PYTHON = "3.13"
BUILD_VENV = ROOT / "build" / f"py{LAMBDA_PYTHON.replace('.', '')}"
REQUIREMENTS = ROOT / "requirements.txt"
DEV_REQUIREMENTS = ROOT / "requirements-dev.txt"


def python_version(python: Path) -> str:
    done = subprocess.run(  # noqa: S603
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    )
    return done.stdout.strip()


def _pyenv_pythons() -> list[Path]:
    """pyenv's LAMBDA_PYTHON.N builds, newest first (not 3.13.0t and the like:
    a free-threaded build has another ABI)."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    by_patch = {}
    for python in root.glob(f"versions/{LAMBDA_PYTHON}.*/bin/python{LAMBDA_PYTHON}"):
        patch = python.parts[-3].removeprefix(f"{LAMBDA_PYTHON}.")
        if patch.isdigit():
            by_patch[int(patch)] = python
    return [by_patch[patch] for patch in sorted(by_patch, reverse=True)]


def find_interpreter() -> Path | None:
    """LAMBDA_PYTHON's interpreter on this machine, or None."""
    chosen = os.environ.get("BUILD_PYTHON")
    if chosen:
        if python_version(Path(chosen)) != LAMBDA_PYTHON:
            raise SystemExit(f"BUILD_PYTHON={chosen} is not Python {LAMBDA_PYTHON}")
        return Path(chosen)
    on_path = shutil.which(f"python{LAMBDA_PYTHON}")
    for candidate in [*_pyenv_pythons(), *([Path(on_path)] if on_path else [])]:
        try:  # a pyenv shim for a version not selected exits non-zero
            if python_version(candidate) == LAMBDA_PYTHON:
                return candidate
        except (OSError, subprocess.CalledProcessError):
            continue
    return None


def chalice_pin() -> str:
    """requirements-dev.txt's chalice requirement (`chalice==X.Y.Z`)."""
    for line in DEV_REQUIREMENTS.read_text().splitlines():
        if re.match(r"chalice\s*==", line):
            return line.strip()
    raise SystemExit("requirements-dev.txt pins no chalice")


def _stamp(interpreter: Path) -> str:
    digest = hashlib.sha256()
    for part in (str(interpreter), python_version(interpreter), chalice_pin()):
        digest.update(part.encode() + b"\0")
    digest.update(REQUIREMENTS.read_bytes())
    return digest.hexdigest()


def build_venv(interpreter: Path) -> Path:
    """BUILD_VENV for this interpreter and the requirements, made if stale;
    returns its python."""
    stamp_file = BUILD_VENV / ".installed"
    stamp = _stamp(interpreter)
    BUILD_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(BUILD_VENV.parent / f"{BUILD_VENV.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two packagings at once make it once
        if not (stamp_file.exists() and stamp_file.read_text() == stamp):
            print(f"making {BUILD_VENV.relative_to(ROOT)} (Python {LAMBDA_PYTHON}) for "
                  "`chalice package`", file=sys.stderr)
            subprocess.run([str(interpreter), "-m", "venv", "--clear", str(BUILD_VENV)],  # noqa: S603
                           check=True)
            subprocess.run(  # noqa: S603
                [str(BUILD_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                 "--disable-pip-version-check", "-r", str(REQUIREMENTS), chalice_pin()],
                check=True,
            )
            stamp_file.write_text(stamp)
    return BUILD_VENV / "bin" / "python"


@functools.cache
def chalice_python() -> Path:
    """The Python to run `chalice package` under: BUILD_VENV's, or (with no
    LAMBDA_PYTHON here) the one running this."""
    interpreter = find_interpreter()
    if interpreter is None:
        running = f"{sys.version_info.major}.{sys.version_info.minor}"
        print(f"warning: no Python {LAMBDA_PYTHON} found (pyenv install {LAMBDA_PYTHON}, "
              f"or BUILD_PYTHON=/path/to/python{LAMBDA_PYTHON}): packaging for "
              f"python{running}, the Python running this", file=sys.stderr)
        return Path(sys.executable)
    return build_venv(interpreter)
