"""How big the customer widget is: the loader every host page downloads,
everything the chat UI loads when opened, and what it loads only when needed,
raw / minified / gzipped.

    .venv/bin/python bench/widget_size.py

Targets: the loader under 3 KB gzipped and, with everything the chat loads when
opened, under 25 KB gzipped (issue 6); each part loaded on demand under 5 KB
gzipped (issue 19: files in chat; issue 20: the absent and closed views, away.js,
and the offline message form, offline.js, which away.js imports on demand in its
turn). Exits 1 when a target is missed.

"Opened" is the frame page, frame.css and app.js with every module it imports
statically (`import … from`), directly or not. A dynamic `import('./x.js')`
is loaded on demand: x.js with what it imports statically that is not loaded
already, and the files it fetches itself (`new URL('./x.css',
import.meta.url)`), is its own figure.

The widget needs no build step: browsers load the files as they are. Minified
sizes are what a deployment that minifies would serve. With esbuild installed
(`npm install --no-save --no-package-lock --prefix widget esbuild`, or on PATH,
or $ESBUILD) it minifies; otherwise (or with --no-esbuild) a conservative
stand-in here only drops comments and indentation (it never renames), so its
numbers are upper bounds.
Gzip is level 9, per file, as a server compresses each response.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDGET = ROOT / "widget"
LOADER = "loader.js"
# What the chat UI loads when opened: the frame page (served by the API from
# this template, GET /api/widget/{key}/frame), its CSS, and its module app.js
# with every module that imports statically, directly or not (the widget's own
# and those in widget/shared/, which the console loads too).
FRAME_PAGE = ROOT / "chalicelib" / "templates" / "widget-frame.html"
FRAME_FILES = ("frame.css",)
FRAME_MODULE = "app.js"
# Static: `import … from './x.js'`, `export … from '../x.js'`, `import './x.js'`.
_STATIC = re.compile(
    r"""\b(?:import|export)\s+(?:[\w$*{},\s]*?\bfrom\s*)?['"](\.{1,2}/[^'"]+)['"]"""
)
# On demand: `import('./x.js')`.
_DYNAMIC = re.compile(r"""\bimport\(\s*['"](\.{1,2}/[^'"]+)['"]\s*\)""")
# Fetched by a module itself: `new URL('./x.css', import.meta.url)`.
_ASSETS = re.compile(r"""\bnew\s+URL\(\s*['"](\.{1,2}/[^'"]+)['"]\s*,\s*import\.meta\.url""")
LOADER_TARGET_GZ = 3 * 1024
TOTAL_TARGET_GZ = 25 * 1024
ON_DEMAND_TARGET_GZ = 5 * 1024


@dataclass(frozen=True)
class Size:
    name: str
    raw: int
    minified: int
    gzipped: int


def esbuild() -> str | None:
    for candidate in (
        os.environ.get("ESBUILD"),
        str(WIDGET / "node_modules" / ".bin" / "esbuild"),
        str(ROOT / "bench" / "node_modules" / ".bin" / "esbuild"),
        shutil.which("esbuild"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def minify_with_esbuild(tool: str, source: str, loader: str) -> str:
    done = subprocess.run(
        [tool, "--minify", "--charset=utf8", f"--loader={loader}", "--log-level=error"],
        input=source, capture_output=True, text=True, check=True,
    )
    return done.stdout


_JS_TOKENS = re.compile(
    r"""(?P<keep>'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`)"""
    r"""|(?P<block>/\*.*?\*/)|(?P<line>(?<![:\\])//[^\n]*)""",
    re.S,
)


def strip_js(source: str) -> str:
    """Comments and indentation out, strings untouched; line breaks stay (ASI)."""
    without = _JS_TOKENS.sub(lambda m: m.group("keep") or "", source)
    lines = (line.strip() for line in without.splitlines())
    return "\n".join(line for line in lines if line)


def strip_css(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"\s+", " ", source)
    return re.sub(r"\s*([{};:,>])\s*", r"\1", source).strip()


def strip_html(source: str) -> str:
    source = re.sub(r"<!--.*?-->", "", source, flags=re.S)
    return re.sub(r">\s+<", "><", source).strip()


def minify(path: Path, tool: str | None) -> str:
    source = path.read_text(encoding="utf-8")
    kind = path.suffix.lstrip(".")
    if kind == "html":
        return strip_html(source)
    if tool is not None:
        return minify_with_esbuild(tool, source, "css" if kind == "css" else "js")
    return strip_css(source) if kind == "css" else strip_js(source)


def measure(path: Path, tool: str | None) -> Size:
    raw = path.read_bytes()
    small = minify(path, tool).encode()
    name = path.relative_to(WIDGET).as_posix() if path.is_relative_to(WIDGET) else path.name
    return Size(name, len(raw), len(small), len(gzip.compress(small, compresslevel=9)))


def _targets(pattern: re.Pattern[str], module: Path) -> list[Path]:
    source = module.read_text(encoding="utf-8")
    return [(module.parent / target).resolve() for target in pattern.findall(source)]


def module_graph(entry: Path, loaded: frozenset[Path] = frozenset()) -> list[Path]:
    """`entry`, every module it imports statically, directly or not, and the
    files those fetch themselves, leaving out what is `loaded` already; in path
    order."""
    found, todo = {entry.resolve()}, [entry.resolve()]
    while todo:
        module = todo.pop()
        for imported in _targets(_STATIC, module) + _targets(_ASSETS, module):
            if imported not in found and imported not in loaded:
                found.add(imported)
                if imported.suffix == ".js":
                    todo.append(imported)
    return sorted(found)


def chat_ui_files() -> list[Path]:
    """What the chat UI loads when opened."""
    modules = module_graph(WIDGET / FRAME_MODULE)
    return [FRAME_PAGE] + [WIDGET / name for name in FRAME_FILES] + modules


def on_demand_parts(opened: list[Path]) -> dict[Path, list[Path]]:
    """Each module imported dynamically (by the opened modules or by one loaded
    on demand), with what it brings that is not loaded already."""
    loaded = frozenset(path.resolve() for path in opened)
    parts: dict[Path, list[Path]] = {}
    todo = [path for path in opened if path.suffix == ".js"]
    while todo:
        for entry in _targets(_DYNAMIC, todo.pop()):
            if entry in parts or entry in loaded:
                continue
            parts[entry] = module_graph(entry, loaded)
            todo.extend(path for path in parts[entry] if path.suffix == ".js")
    return parts


def kb(n: int) -> str:
    return f"{n / 1024:6.2f} KB"


def total(name: str, sizes: list[Size]) -> Size:
    return Size(name, sum(s.raw for s in sizes), sum(s.minified for s in sizes),
                sum(s.gzipped for s in sizes))


def main() -> int:
    tool = None if "--no-esbuild" in sys.argv else esbuild()
    method = f"esbuild ({tool})" if tool else "comment/indent stripping (no esbuild found)"
    loader = measure(WIDGET / LOADER, tool)
    opened_files = chat_ui_files()
    opened = [measure(path, tool) for path in opened_files]
    parts = {entry.relative_to(WIDGET).as_posix(): [measure(path, tool) for path in files]
             for entry, files in on_demand_parts(opened_files).items()}
    print(f"Widget sizes; minified with {method}; gzip -9 per file\n")
    print(f"{'file':<22}{'raw':>11}{'minified':>11}{'gzipped':>11}  loaded")
    rows = [(loader, "every page view"), *((size, "when opened") for size in opened)]
    rows += [(size, f"on demand ({entry})") for entry, sizes in parts.items() for size in sizes]
    for size, when in rows:
        print(f"{size.name:<22}{kb(size.raw):>11}{kb(size.minified):>11}{kb(size.gzipped):>11}"
              f"  {when}")
    print()
    failures = []
    figures = [
        ("loader (every page view)", loader, LOADER_TARGET_GZ),
        ("loader + chat UI (opened)", total("opened", [loader, *opened]), TOTAL_TARGET_GZ),
    ]
    figures += [(f"on demand: {entry}", total(entry, sizes), ON_DEMAND_TARGET_GZ)
                for entry, sizes in parts.items()]
    for label, size, target in figures:
        ok = size.gzipped < target
        if not ok:
            failures.append(label)
        print(f"{label:<29} raw {kb(size.raw)}  min {kb(size.minified)}  "
              f"gz {kb(size.gzipped)}  target < {kb(target)}  {'ok' if ok else 'OVER'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
