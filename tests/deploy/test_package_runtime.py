"""The functions run on the newest Lambda Python this machine builds for, on arm64
(Graviton: cheaper per GB-second), and the code package holds native code for that
Python and that processor only (infra/build_python.py)."""

from __future__ import annotations

import re
import struct
import zipfile
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from infra import build_python
from tests.deploy.template import functions

RUNTIME = f"python{build_python.LAMBDA_PYTHON}"
ABI = f"cp{build_python.LAMBDA_PYTHON.replace('.', '')}"
ELF_MACHINE_AARCH64 = 183  # e_machine of the ELF header (EM_AARCH64)
# A version-specific extension module's name: `x.cpython-313-aarch64-linux-gnu.so`
# (`x.abi3.so` is for any CPython 3 from its wheel's version on).
VERSIONED_EXTENSION = re.compile(r"\.cpython-(\d+)-([a-z0-9_]+)-linux-gnu\.so$")


def _native_files(package: zipfile.ZipFile) -> dict[str, bytes]:
    """Every ELF file in the package: path → its first 64 bytes."""
    found = {}
    for info in package.infolist():
        if info.is_dir():
            continue
        with package.open(info) as member:
            head = member.read(64)
        if head.startswith(b"\x7fELF"):
            found[info.filename] = head
    return found


def test_every_function_runs_on_the_build_python_on_arm64(template: dict[str, Any]) -> None:
    found = functions(template)
    assert found
    for name, function in found.items():
        properties = function["Properties"]
        assert properties["Runtime"] == RUNTIME, (
            f"{name}: {properties['Runtime']} (no Python {build_python.LAMBDA_PYTHON} to "
            "package with? see infra/build_python.py)"
        )
        assert properties["Architectures"] == ["arm64"], name


def test_native_code_is_aarch64_for_the_runtime_python(template_path: Path) -> None:
    with zipfile.ZipFile(template_path.parent / "deployment.zip") as package:
        native = _native_files(package)
        assert native, "argon2 and cffi ship extension modules: none found"
        for path, head in native.items():
            assert head[4] == 2 and head[5] == 1, f"{path}: not a 64-bit little-endian ELF"
            (machine,) = struct.unpack_from("<H", head, 18)
            assert machine == ELF_MACHINE_AARCH64, f"{path}: ELF machine {machine}, not aarch64"
            versioned = VERSIONED_EXTENSION.search(path)
            if versioned:
                version, platform = versioned.groups()
                assert (f"cp{version}", platform) == (ABI, "aarch64"), path
        # What each wheel was built for (its WHEEL file's Tag lines).
        for name in package.namelist():
            if not name.endswith(".dist-info/WHEEL"):
                continue
            wheel = HeaderParser().parsestr(package.read(name).decode())
            if wheel["Root-Is-Purelib"] == "true":
                continue
            tags = wheel.get_all("Tag") or []
            assert any(
                abi in (ABI, "abi3") and "aarch64" in platform
                for _, abi, platform in (tag.split("-") for tag in tags)
            ), f"{name}: {tags}"
