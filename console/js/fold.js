// Text folded for matching (R-CAN-1): width- and kana-insensitive, so `ﾍﾝﾋﾟﾝ`,
// `ヘンピン` and `へんぴん` find each other. The same steps as the server's
// chalicelib/textfold.py, in the same order:
//   NFKC (half-width katakana become full-width, full-width Latin letters and
//   digits half-width: `ﾍﾝﾋﾟﾝ` → `ヘンピン`, `ＡＢＣ` → `ABC`), then lower case
//   (Python's casefold: JavaScript's toLowerCase plus the two folds beyond it
//   that occur in ordinary text, ß → ss and final ς → σ; the two still differ on
//   Cherokee, polytonic Greek with an iota subscript and a few letters casefold
//   decomposes, ǰ ẖ ẗ ẘ ẙ), then katakana U+30A1–U+30F6
//   as hiragana (−0x60), then runs of white space as one space, trimmed.
// White space is what Python's str.split() splits on, not JavaScript's \s (which
// also has U+FEFF and lacks U+001C–U+001F and U+0085).

const KATAKANA_FIRST = 0x30a1; // ァ
const KATAKANA_LAST = 0x30f6; // ヶ
const TO_HIRAGANA = 0x60;
const CASEFOLD = { "ß": "ss", "ς": "σ" };
// Python's white space (str.isspace), by code point.
const SPACES = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** `text` for matching: NFKC, lower case, katakana as hiragana, white space runs
 * as one space, trimmed. */
export function fold(text) {
  const normal = String(text ?? "").normalize("NFKC").toLowerCase();
  let folded = "";
  let space = false;
  for (const char of normal) {
    const code = char.codePointAt(0);
    if (SPACES.has(code)) {
      space = folded !== "";
      continue;
    }
    if (space) folded += " ";
    space = false;
    if (code >= KATAKANA_FIRST && code <= KATAKANA_LAST) folded += String.fromCodePoint(code - TO_HIRAGANA);
    else folded += CASEFOLD[char] ?? char;
  }
  return folded;
}

/** `fold(text)` without white space. */
export function compact(text) {
  return fold(text).replaceAll(" ", "");
}

/** Whether the folded `query` is part of any of the folded `texts`. */
export function matches(query, ...texts) {
  const needle = fold(query);
  return texts.some((text) => Boolean(text) && fold(text).includes(needle));
}
