"""axe-core in the browser tests (R-A11Y-1): run it in a page or frame and get
back what it found, readably.

axe-core is pinned in tools/js/package-lock.json (`make js-lint` installs it with
`npm ci`). Its script text is evaluated in the frame through the DevTools
protocol, which no Content-Security-Policy blocks, so it runs in the console and
the chat frame as they are served; tests still open their pages in a context
with `bypass_csp=True`, so nothing here depends on that detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Frame, Page

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "tools" / "js" / "node_modules" / "axe-core" / "axe.min.js"

# What R-A11Y-1 fails on: a serious or critical violation of any rule axe runs.
BLOCKING = ("serious", "critical")
# WCAG 2.0 to 2.2, A and AA, and axe's best practices (landmarks, headings, regions).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Structure the spec asks for on every screen, whatever impact axe gives them:
# one main landmark, an h1, headings in order, landmarks that are told apart.
STRUCTURE = ("landmark-one-main", "page-has-heading-one", "heading-order",
             "landmark-unique", "landmark-no-duplicate-main", "landmark-main-is-top-level")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: list[str]
    summary: str

    def __str__(self) -> str:
        lines = [f"{self.rule} ({self.impact}): {self.help}"]
        for target, summary in zip(self.targets, self.summary.split("\n\n"), strict=False):
            lines.append(f"    at {target}: {' '.join(summary.split())[:300]}")
        return "\n".join(lines)


@cache
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"axe-core is not installed ({AXE_SCRIPT.relative_to(ROOT)} is missing): "
                    "run `make js-lint`, which installs tools/js with `npm ci`", pytrace=False)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def inject(target: Page | Frame) -> None:
    """axe into this page or frame (once per document)."""
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.evaluate(axe_source())


def run(target: Page | Frame, *, include: list[str] | None = None,
        rules: tuple[str, ...] = STRUCTURE) -> list[Violation]:
    """axe's serious and critical violations in `target` (limited to the elements
    `include` selects, when given), plus any violation of `rules`."""
    inject(target)
    raw: list[dict[str, Any]] = target.evaluate(
        """async ([include, tags]) => {
            const context = include ? { include: include.map((s) => [s]) } : document;
            const result = await axe.run(context, {
                runOnly: { type: 'tag', values: tags },
                resultTypes: ['violations'],
                iframes: false,
            });
            return result.violations.map((v) => ({
                rule: v.id, impact: v.impact || '', help: v.help,
                targets: v.nodes.map((n) => n.target.join(' >>> ')),
                summary: v.nodes.map((n) => n.failureSummary || '').join('\\n\\n'),
            }));
        }""",
        [include, TAGS],
    )
    found = [Violation(**v) for v in raw]
    return [v for v in found if v.impact in BLOCKING or v.rule in rules]


def report(where: str, violations: list[Violation]) -> str:
    return f"{where}: {len(violations)} accessibility violation(s)\n" + "\n".join(
        str(v) for v in violations)


def accessible(target: Page | Frame, where: str) -> None:
    """No serious or critical axe violation, nor of the structure rules (R-A11Y-1)."""
    found = run(target)
    assert found == [], report(where, found)
