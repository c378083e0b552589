"""The console shows every error the server can answer in its own words, in every
language it speaks (R-I18N-2): each code the backend raises (a domain error's
class code, or the code one is raised with) has a string `error.<code>` in
console/js/i18n/*.js. The codes are read from chalicelib's source, so a new one
without words fails here."""

from __future__ import annotations

import ast

import pytest

from tests.unit.test_console_strings import CONSOLE, ROOT

CHALICELIB = ROOT / "chalicelib"
# Where each error class takes its code: InvalidInput(field, message, code),
# the others (message, code).
CODE_ARGUMENT = {"InvalidInput": 2, "NotAuthenticated": 1, "NotAllowed": 1, "NotFound": 1,
                 "Conflict": 1, "TooLarge": 1, "Unavailable": 1, "LimitReached": 1,
                 "DomainError": 1}
# Codes of the console itself: the socket's request without an answer, or sent
# while not connected; a request that could not reach the server.
CONSOLE_CODES = {"timeout", "offline", "network_error"}


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def server_error_codes() -> set[str]:
    codes: set[str] = set()
    for path in CHALICELIB.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            # class SomeError(DomainError): code = "…"
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                            and isinstance(statement.targets[0], ast.Name)
                            and statement.targets[0].id == "code"
                            and (code := _string(statement.value))):
                        codes.add(code)
            # raise Conflict("…", "in_use"), InvalidInput("from", "…", "period_too_long")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in CODE_ARGUMENT:
                at = CODE_ARGUMENT[node.func.id]
                given = node.args[at] if len(node.args) > at else next(
                    (k.value for k in node.keywords if k.arg == "code"), None)
                if code := _string(given):
                    codes.add(code)
            # {"code": "internal_error", "message": …}
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if _string(key) == "code" and (code := _string(value)):
                        codes.add(code)
    return codes - {"error"}  # DomainError's own placeholder, never sent as such


def test_the_server_raises_the_codes_the_console_knows_about() -> None:
    """The reading above finds the codes (so the test below means something)."""
    codes = server_error_codes()
    assert {"bad_request", "bad_credentials", "in_use", "period_too_long", "internal_error",
            "rate_limited", "unsupported_media_type"} <= codes


@pytest.mark.parametrize("language", CONSOLE.languages)
def test_every_error_code_has_the_consoles_words(language: str) -> None:
    strings = CONSOLE.table(language)
    missing = sorted(code for code in server_error_codes() | CONSOLE_CODES
                     if f"error.{code}" not in strings)
    assert missing == []
    # A code it does not know, and a bad field, still get words of their own.
    assert {"error.unknown", "error.bad_field"} <= strings.keys()
