"""The layers of chalicelib/ (docs/architecture.md) hold: no import cycle, even
through imports inside functions; config and the other leaves import nothing of
the app; services know nothing of HTTP; serializers read nothing."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _all_imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _imports(path: Path) -> set[str]:
    """The chalicelib modules `path` imports."""
    return {name for name in _all_imports(path) if name in MODULES and name != "chalicelib"}


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _cycle_from(start: str) -> list[str] | None:
    """A path start → … → start, if there is one."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(GRAPH[node]):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_the_graph_is_read():
    # The test would pass vacuously if the parser found nothing.
    assert "chalicelib.config" in GRAPH["chalicelib.keys"]
    assert "chalicelib.models" in GRAPH["chalicelib.services.chats"]
    assert "chalicelib.services.workbook" in GRAPH["chalicelib.services.exports"]  # lazy


def test_no_import_cycle():
    cycles = [cycle for name in sorted(GRAPH) if (cycle := _cycle_from(name))]
    assert not cycles, " → ".join(cycles[0])


def test_leaves_import_nothing_of_the_app():
    for leaf in ("config", "clock", "errors", "gcra", "token_keys", "observe"):
        assert GRAPH[f"chalicelib.{leaf}"] == set(), leaf


def test_services_know_nothing_of_http():
    for name, imported in GRAPH.items():
        if name.startswith("chalicelib.services."):
            assert not {m for m in imported if m.startswith("chalicelib.api")}, name
            outside = {m.split(".")[0] for m in _all_imports(MODULES[name])}
            assert "chalice" not in outside, name


def test_the_models_know_no_service():
    for name in ("chalicelib.models", "chalicelib.db"):
        assert not {m for m in GRAPH[name] if m.startswith(("chalicelib.services",
                                                             "chalicelib.api"))}


READS = {"get", "query", "batch_get", "scan", "count", "refresh"}
IO_MODULES = {"chalicelib.aws", "chalicelib.realtime", "chalicelib.services.heads",
              "chalicelib.services.chat_views", "chalicelib.db"}


def _model_reads(path: Path) -> list[str]:
    """Calls like Chat.get(…) or Chat.by_operator.query(…) in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    models = {alias.asname or alias.name for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module == "chalicelib.models"
              for alias in node.names}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in READS:
            owner = node.func.value
            while isinstance(owner, ast.Attribute):
                owner = owner.value
            if isinstance(owner, ast.Name) and owner.id in models:
                found.append(f"{owner.id}….{node.func.attr}() line {node.lineno}")
    return found


def test_serializers_read_nothing():
    # A chat, a customer and a message are serialized by pure functions of what
    # the service read for them (services/chat_views.py reads, in batches).
    serializers = ("chalicelib.services.chat_json",)
    for name in serializers:
        assert not GRAPH[name] & IO_MODULES, name
        assert _model_reads(MODULES[name]) == [], name
    # The check finds a read where there is one.
    assert _model_reads(MODULES["chalicelib.services.heads"])


RACE_ERRORS = {"TransactWriteError", "PutError", "UpdateError", "FrameRaced"}


def _hand_written_retries(path: Path) -> list[int]:
    """Attempt loops (`for attempt in range(…)`, `while …`) that catch a lost
    race and go round again (`except TransactWriteError: continue`): the
    scaffold services/retries.py replaces. (A loop over items that skips one
    whose condition failed is not a retry.)"""
    found = []
    for loop in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        counting = isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call) \
            and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "range"
        if not (counting or isinstance(loop, ast.While)):
            continue
        for node in ast.walk(loop):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                again = any(isinstance(n, ast.Continue) for n in ast.walk(node))
                if caught & RACE_ERRORS and again:
                    found.append(node.lineno)
    return found


def test_one_retry_helper(tmp_path):
    places = {name: lines for name, path in MODULES.items()
              if name != "chalicelib.services.retries"
              and (lines := _hand_written_retries(path))}
    assert places == {}
    # The check finds the scaffold where it is written.
    sample = tmp_path / "retry_sample.py"
    sample.write_text("for n in range(3):\n    try:\n        f()\n"
                      "    except TransactWriteError:\n        continue\n", encoding="utf-8")
    assert _hand_written_retries(sample) == [4]
