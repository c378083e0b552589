"""Every language of the operator console (en, ja) and of the chat widget (en, ja,
ko) has every string: the same keys as English and no others, with the same
`{holes}`; every key the code asks for by name exists; the widget's loader names
the launcher as the chat UI does.

The strings are JavaScript modules, one per language (console/js/i18n/en.js,
widget/i18n/ja.js, …: `export default {key: 'text', …};`), read here as data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class App:
    name: str
    code: Path  # its modules; the strings are in code/i18n/, the engine is code/i18n.js
    languages: tuple[str, ...]

    @property
    def strings(self) -> Path:
        return self.code / "i18n"

    def table(self, language: str) -> dict[str, str]:
        return parse_strings(self.strings / f"{language}.js")


CONSOLE = App("console", ROOT / "console" / "js", ("en", "ja"))
WIDGET = App("widget", ROOT / "widget", ("en", "ja", "ko"))
APPS = (CONSOLE, WIDGET)
TRANSLATIONS = [
    pytest.param(app, language, id=f"{app.name}-{language}")
    for app in APPS
    for language in app.languages
    if language != "en"
]

# --- reading `export default { … };` ---------------------------------------------------

_TOKENS = re.compile(
    r"""(?P<skip>\s+|//[^\n]*|/\*.*?\*/)
      | (?P<string>'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")
      | (?P<name>[A-Za-z_$][\w$]*)
      | (?P<punct>[{}:,+;])
      | (?P<other>.)""",
    re.S | re.X,
)
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\n|.)")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0",
                   "\n": ""}


def _unquote(literal: str) -> str:
    def escape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:].strip("{}"), 16))
        return _SIMPLE_ESCAPES.get(code, code)

    return _ESCAPE.sub(escape, literal[1:-1])


def _tokens(source: str) -> list[tuple[str, str]]:
    found = []
    for match in _TOKENS.finditer(source):
        kind = match.lastgroup or "other"
        if kind != "skip":
            found.append((kind, match.group()))
    return found


def parse_object(tokens: list[tuple[str, str]], where: str) -> dict[str, str]:
    """`{key: 'text' + 'more', 'key': "text", …}` (the tokens from its `{` on):
    keys and their strings, refusing anything that is not plain data."""
    assert tokens[:1] == [("punct", "{")], f"{where}: expected an object literal"
    table: dict[str, str] = {}
    at = 1
    while tokens[at] != ("punct", "}"):
        kind, key = tokens[at]
        assert kind in ("name", "string"), f"{where}: a key, not {key!r}"
        key = _unquote(key) if kind == "string" else key
        assert key not in table, f"{where}: {key!r} twice"
        assert tokens[at + 1] == ("punct", ":"), f"{where}: ':' after {key!r}"
        at += 2
        parts = []
        while True:
            kind, text = tokens[at]
            assert kind == "string", f"{where}: {key!r} is {text!r}, not a string literal"
            parts.append(_unquote(text))
            at += 1
            if tokens[at] != ("punct", "+"):
                break
            at += 1
        table[key] = "".join(parts)
        if tokens[at] == ("punct", ","):
            at += 1
        else:
            assert tokens[at] == ("punct", "}"), f"{where}: ',' or '}}' after {key!r}"
    return table


def parse_strings(path: Path) -> dict[str, str]:
    """A language module: `export default { … };` and nothing else but comments."""
    tokens = _tokens(path.read_text(encoding="utf-8"))
    where = str(path.relative_to(ROOT))
    assert tokens[:2] == [("name", "export"), ("name", "default")], f"{where}: export default"
    assert tokens[-2:] == [("punct", "}"), ("punct", ";")], f"{where}: ends with '}};'"
    return parse_object(tokens[2:-1], where)


def holes(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


# --- the tests --------------------------------------------------------------------------


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.name)
def test_the_engine_loads_one_strings_module_per_language(app: App) -> None:
    files = {path.stem for path in app.strings.glob("*.js")}
    assert files == set(app.languages)
    engine = (app.code / "i18n.js").read_text(encoding="utf-8")
    imported = set(re.findall(r"""from\s+['"]\./i18n/(\w+)\.js['"]""", engine))
    assert imported == set(app.languages)


@pytest.mark.parametrize(("app", "language"), TRANSLATIONS)
def test_every_language_has_every_key_and_no_other(app: App, language: str) -> None:
    english, translated = app.table("en"), app.table(language)
    assert sorted(english.keys() - translated.keys()) == [], "missing"
    assert sorted(translated.keys() - english.keys()) == [], "not in English"


@pytest.mark.parametrize(("app", "language"), TRANSLATIONS)
def test_every_language_fills_the_same_holes(app: App, language: str) -> None:
    english, translated = app.table("en"), app.table(language)
    differ = {
        key: (sorted(holes(text)), sorted(holes(translated[key])))
        for key, text in english.items()
        if key in translated and holes(text) != holes(translated[key])
    }
    assert differ == {}


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.name)
def test_every_string_is_text(app: App) -> None:
    for language in app.languages:
        empty = [key for key, text in app.table(language).items() if not text.strip()]
        assert empty == [], language


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.name)
def test_every_key_the_code_names_exists(app: App) -> None:
    """t("key") and t('key', {…}) with a literal key (keys built at run time, as in
    t(`status.${value}`), are not checked here)."""
    english = app.table("en")
    named = {
        (path.relative_to(ROOT).as_posix(), key)
        for path in app.code.rglob("*.js")
        if app.strings not in path.parents and "node_modules" not in path.parts
        for key in re.findall(r"""\bt\(\s*(?:'([\w.]+)'|"([\w.]+)")""", path.read_text("utf-8"))
    }
    keys = {(where, single or double) for where, (single, double) in named}
    assert len(keys) > 20
    assert sorted((where, key) for where, key in keys if key not in english) == []


def test_the_loader_names_the_launcher_as_the_chat_ui_does() -> None:
    """The loader carries only the launcher's label (the button has a name before
    the chat UI has loaded), in every language of the widget."""
    loader = (ROOT / "widget" / "loader.js").read_text(encoding="utf-8")
    found = re.search(r"var LABELS = (\{.*?\});", loader, re.S)
    assert found, "loader.js: var LABELS = {…};"
    labels = parse_object(_tokens(found.group(1)), "loader.js LABELS")
    assert labels == {language: WIDGET.table(language)["launcher"] for language in WIDGET.languages}


# --- the widget's strings loaded on demand, with the module that uses them -----------------

# widget/i18n/<module>/<lang>.js, imported with widget/<code>.js (bench/widget_size.py
# counts them apart): the strings of files (attach.js), the away views and the
# offline form. Their keys are looked up with `say('key')`.
ON_DEMAND = {"attach": "attach", "away": "away", "offline": "offline"}
# Keys chosen at run time by a one-word name (attach.js: a refusal's `reason` as
# the server gives it, and its own checks).
RUN_TIME = {"attach": ("remove", "cancelUpload", "type", "notType", "size", "empty", "again",
                       "off", "busy", "network", "failed")}


@pytest.mark.parametrize("module", sorted(ON_DEMAND))
def test_the_strings_loaded_on_demand_have_every_key_and_hole_in_every_language(
    module: str,
) -> None:
    folder = WIDGET.strings / module
    english = parse_strings(folder / "en.js")
    assert {path.stem for path in folder.glob("*.js")} == set(WIDGET.languages)
    for language in WIDGET.languages:
        table = parse_strings(folder / f"{language}.js")
        assert table.keys() == english.keys(), language
        assert {k: holes(v) for k, v in table.items()} == {
            k: holes(v) for k, v in english.items()}, language
        assert all(text.strip() for text in table.values()), language
        assert not table.keys() & WIDGET.table(language).keys(), "a key in both tables"
    # Named with say('key'), or chosen at run time (a refusal's reason, the line
    # by what a view offers, a check's message): every camelCase literal too.
    source = (WIDGET.code / f"{ON_DEMAND[module]}.js").read_text(encoding="utf-8")
    named = set(re.findall(r"""\bsay\(\s*'(\w+)'""", source))
    assert named, f"{module}.js names no string"
    named |= set(re.findall(r"'([a-z]+[A-Z]\w*)'", source))
    assert sorted(named - english.keys() - WIDGET.table("en").keys()) == []
    assert sorted(set(RUN_TIME.get(module, ())) - english.keys()) == []
