"""Text folded for matching (R-CAN-1, R-CH-3b): width- and kana-insensitive.

NFKC makes half-width katakana full-width and full-width Latin letters and
digits half-width (`ﾍﾝﾋﾟﾝ` → `ヘンピン`, full-width `ABC` → `ABC`), casefold ignores case,
and katakana become hiragana (`ヘンピン` → `へんぴん`), so `ﾍﾝﾋﾟﾝ`, `ヘンピン` and
`へんぴん` fold to one text. The console's picker folds the same way
(console/js/fold.js); tests/unit/test_textfold.py pins both."""

from __future__ import annotations

import unicodedata

_KATAKANA_FIRST = 0x30A1  # ァ
_KATAKANA_LAST = 0x30F6  # ヶ
_TO_HIRAGANA = 0x60


def _hiragana(char: str) -> str:
    code = ord(char)
    if _KATAKANA_FIRST <= code <= _KATAKANA_LAST:
        return chr(code - _TO_HIRAGANA)
    return char


def fold(text: str) -> str:
    """`text` for matching: NFKC, casefolded, katakana as hiragana, runs of
    white space as one space, trimmed."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(_hiragana(c) for c in normal).split())


def compact(text: str) -> str:
    """`fold(text)` without white space: a name searched by any part of it
    (`田中 太郎` is found by `中太`)."""
    return fold(text).replace(" ", "")


def matches(query: str, *texts: str | None) -> bool:
    """Whether the folded `query` is part of any of the folded `texts`."""
    needle = fold(query)
    return any(needle in fold(text) for text in texts if text)
