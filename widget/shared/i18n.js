// The translation engine of both front ends (the chat frame and the operator
// console). The strings are each one's own data, one module per language:
// widget/i18n/*.js and console/js/i18n/*.js.

/** Each language's name in itself, for the language menus. */
export const LANGUAGE_NAMES = { ja: '日本語', en: 'English', ko: '한국어' };

/** The first of `wanted` (in order of preference) that is `usable`, else `otherwise`. */
export function pickLanguage(wanted, usable, otherwise) {
  return wanted.find((code) => code && usable.includes(code)) || otherwise;
}

/** `t(key, holes)` in `lang`, one of `tables` ({en: {...}, ja: {...}}): a key the
 * language lacks falls back to `fallback`'s string, then to the key itself, and
 * every `{name}` hole is filled from `holes` (empty when not given). */
export function translator(tables, lang, fallback = 'en') {
  const table = tables[lang] || tables[fallback];
  return (key, holes = {}) =>
    (table[key] ?? tables[fallback][key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(holes[name] ?? ''));
}
