// The chat UI's languages: one module of strings per language (i18n/*.js, so
// translating is editing data there) and the engine both front ends share
// (shared/i18n.js).

import { pickLanguage, translator as translatorFor } from './shared/i18n.js';
import en from './i18n/en.js';
import ja from './i18n/ja.js';
import ko from './i18n/ko.js';

export { LANGUAGE_NAMES } from './shared/i18n.js';

const STRINGS = { en, ja, ko };

export const SUPPORTED = Object.keys(STRINGS);

/** The UI language (R-I18N-2): the visitor's own choice, else the page's
 * `<html lang>`, else the browser's languages in order, else the service's
 * default — each only when the service offers it. Tags count by their primary
 * subtag (`ja-JP` is `ja`). */
export function chooseLanguage(offered, { chosen, page, browser = [], fallback }) {
  const usable = offered.filter((code) => SUPPORTED.includes(code));
  const primary = (tag) => String(tag || '').split('-')[0].toLowerCase();
  return pickLanguage([chosen, primary(page), ...browser.map(primary), fallback], usable,
    usable[0] || 'en');
}

/** `t(key, {hole: value})` in `lang` (English where it lacks a string). */
export function translator(lang) {
  return translatorFor(STRINGS, lang);
}
