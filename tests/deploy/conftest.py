"""The packaged template, made once for every test of tests/deploy that reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra import package


@pytest.fixture(scope="session")
def template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package.package("dev", tmp_path_factory.mktemp("package") / "dev")


@pytest.fixture(scope="session")
def template(template_path: Path) -> dict[str, Any]:
    return package.load_template(template_path)
