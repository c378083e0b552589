"""Text folded for matching (R-CAN-1, R-CH-3b): width, case and kana are
ignored, so `ﾍﾝﾋﾟﾝ`, `ヘンピン` and `へんぴん` are one text; white space is one
space; `compact` drops it; `matches` finds a folded part of any text given.
The console's picker (console/js/fold.js) folds the same texts alike."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import textfold

CI = settings(deadline=None, max_examples=200, derandomize=True, database=None)

# Full-width ASCII (U+FF01…U+FF5E) is the printable ASCII (U+0021…U+007E) + 0xFEE0.
FULL_WIDTH_OFFSET = 0xFEE0
printable_ascii = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)
katakana = st.text(st.characters(min_codepoint=0x30A1, max_codepoint=0x30F6), min_size=1)
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + FULL_WIDTH_OFFSET) for c in text)


def test_half_width_katakana_katakana_and_hiragana_fold_alike():
    assert textfold.fold("ﾍﾝﾋﾟﾝ") == textfold.fold("ヘンピン") == textfold.fold("へんぴん")
    assert textfold.fold("ﾍﾝﾋﾟﾝ") == "へんぴん"


@pytest.mark.parametrize(("given_text", "folded"), [
    (_full_width("ABC123"), "abc123"),
    ("Hello World", "hello world"),
    ("  a \t\n b  ", "a b"),
    ("ｶﾞｷﾞｸﾞ", "がぎぐ"),  # half-width voiced marks join their letter
    ("ヴ", "ゔ"),
    ("Straße", "strasse"),  # casefold, not lower
    ("　全角　スペース　", "全角 すぺーす"),
    ("返品について", "返品について"),  # kanji stay as they are
    ("", ""),
])
def test_fold(given_text, folded):
    assert textfold.fold(given_text) == folded


def test_compact_drops_white_space():
    assert textfold.compact("田中　太郎") == "田中太郎"
    assert textfold.compact(f" {_full_width('Tanaka')}  Taro ") == "tanakataro"


@pytest.mark.parametrize("query", ["ﾍﾝﾋﾟﾝ", "へんぴん", "ヘンピン", _full_width("HENPIN"), "henpin"])
def test_matches_any_form_of_a_word(query):
    assert textfold.matches(query, None, "返品 ヘンピン henpin")


def test_matches_any_of_the_texts_and_skips_none():
    assert textfold.matches("ありがと", "thanks", None, "ありがとうございます")
    assert not textfold.matches("へんぴん", "返品について", None, "")
    assert not textfold.matches("x")


@CI
@given(any_text)
def test_fold_is_idempotent(text):
    once = textfold.fold(text)
    assert textfold.fold(once) == once


@CI
@given(katakana)
def test_katakana_folds_as_hiragana(text):
    assert textfold.fold(text) == textfold.fold("".join(chr(ord(c) - 0x60) for c in text))


@CI
@given(printable_ascii)
def test_full_width_ascii_folds_as_ascii(text):
    assert textfold.fold(_full_width(text)) == textfold.fold(text) == text.casefold()


@CI
@given(printable_ascii, any_text, any_text)
def test_a_full_width_query_finds_its_ascii_in_a_longer_text(word, before, after):
    assert textfold.matches(_full_width(word), f"{before} {word.upper()} {after}")


@CI
@given(any_text)
def test_compact_is_fold_without_spaces(text):
    assert textfold.compact(text) == textfold.fold(text).replace(" ", "")
    assert not any(c.isspace() for c in textfold.compact(text))


# --- the console folds alike (console/js/fold.js) ------------------------------------

FOLD_JS = Path(__file__).resolve().parents[2] / "console" / "js" / "fold.js"
# What operators type and search: ASCII and Latin-1, full- and half-width forms,
# kana, some kanji and the white space Python and JavaScript disagree about.
_RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0xFF01, 0xFF9F), (0x3041, 0x3096), (0x30A1, 0x30FC),
           (0x4E00, 0x4E2F)]
_ODD = "\t\n\x0b\x1c\x1f\x85\u3000\u2028\ufeff\u200b ßςΣİ"


def _samples() -> list[str]:
    pick = random.Random(20261125)
    alphabet = [chr(c) for low, high in _RANGES for c in range(low, high + 1)] + list(_ODD)
    fixed = ["ﾍﾝﾋﾟﾝ", "ヘンピン", "へんぴん", _full_width("Hello World"), "  a \t b ",
             "ｶﾞｷﾞｸﾞ", "Straße", "ΣΟΦΟΣ", "返品について", ""]
    return fixed + ["".join(pick.choice(alphabet) for _ in range(pick.randint(1, 12)))
                    for _ in range(500)]


def test_the_console_folds_as_the_server_does():
    node = shutil.which("node")
    if node is None or not FOLD_JS.exists():
        pytest.skip("node or console/js/fold.js is not here")
    samples = _samples()
    script = (f"import {{ fold, compact }} from {json.dumps(FOLD_JS.as_uri())};\n"
              "const samples = JSON.parse(process.argv[1]);\n"
              "console.log(JSON.stringify(samples.map((s) => [fold(s), compact(s)])));\n")
    run = subprocess.run([node, "--input-type=module", "-e", script, json.dumps(samples)],
                         capture_output=True, text=True, check=True, timeout=60)
    folded_in_js = json.loads(run.stdout)
    differ = [(s, js) for s, js in zip(samples, folded_in_js, strict=True)
              if js != [textfold.fold(s), textfold.compact(s)]]
    assert differ == []
