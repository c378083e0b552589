"""The domain: plain functions that know nothing of HTTP or Chalice.

Its modules load lazily (cold start, R-OPS-1): importing one creates it, and it
runs on first use of one of its names, so a Lambda pays only for the services
its requests touch. Errors in a module therefore show on first use, not at
import (every module is imported and used by the tests)."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from typing import Any

_PREFIX = __name__ + "."


class _LazyServices(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if not fullname.startswith(_PREFIX) or fullname.count(".") != 2:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


if not any(isinstance(finder, _LazyServices) for finder in sys.meta_path):
    sys.meta_path.insert(0, _LazyServices())
