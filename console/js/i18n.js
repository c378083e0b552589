// The console's languages: one module of strings per language (i18n/*.js, so
// translating is editing data there; every language has every key), the engine
// it shares with the chat widget, and the operator's choice of language.

import { LANGUAGE_NAMES, pickLanguage, translator } from "../../widget/shared/i18n.js";
import en from "./i18n/en.js";
import ja from "./i18n/ja.js";

const STRINGS = { en, ja };

export const LANGUAGES = ["ja", "en"].map((code) => ({ code, label: LANGUAGE_NAMES[code] }));

const STORAGE_KEY = "console.lang";
const listeners = new Set();

function initialLanguage() {
  const browser = (navigator.language || "en").slice(0, 2).toLowerCase();
  return pickLanguage([localStorage.getItem(STORAGE_KEY), browser], Object.keys(STRINGS), "en");
}

let current = initialLanguage();
let translate = translator(STRINGS, current);
document.documentElement.lang = current;

export function lang() {
  return current;
}

export function setLang(code) {
  if (!STRINGS[code] || code === current) return;
  current = code;
  translate = translator(STRINGS, code);
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
  for (const listener of listeners) listener(code);
}

export function onLangChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The string `key` in the current language, its `{name}` holes filled from `vars`. */
export function t(key, vars) {
  return translate(key, vars);
}

// --- the service's time zone (R-TZ-1) -------------------------------------------------
// Every time the console shows is the service's local time, whatever the
// operator's computer says; GET /me names the zone (until then, the browser's).

let zone = null;
const zoneListeners = new Set();

function knownZone(name) {
  try {
    return new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null; // a zone this browser's tz data does not have
  }
}

export function browserTimeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The service's IANA time zone (e.g. "Asia/Tokyo"). */
export function timeZone() {
  return zone || browserTimeZone();
}

export function setTimeZone(name) {
  if (!name || name === zone || !knownZone(name)) return;
  zone = name;
  for (const listener of zoneListeners) listener(name);
}

export function onTimeZoneChange(listener) {
  zoneListeners.add(listener);
  return () => zoneListeners.delete(listener);
}

/** True when the service's zone is not the browser's: the screens then say so. */
export function zoneDiffers() {
  return knownZone(timeZone()) !== knownZone(browserTimeZone());
}

/** Date and time in the service's zone and the current language, e.g. "2026/11/25 16:00"
 * (`withSeconds`: "16:00:05"). */
export function formatTime(iso, { withDate = true, withSeconds = false } = {}) {
  if (!iso) return t("common.none");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const options = withDate
    ? { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }
    : { hour: "2-digit", minute: "2-digit" };
  if (withSeconds) options.second = "2-digit";
  return new Intl.DateTimeFormat(current === "ja" ? "ja-JP" : "en-GB", { ...options, timeZone: timeZone() })
    .format(date);
}

/** A local day of the service as YYYY-MM-DD (what date inputs hold and the API
 * reads in the service's zone): today, or `offsetDays` from it. */
export function serviceDate(offsetDays = 0) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en", { timeZone: timeZone(), year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(new Date())
      .map(({ type, value }) => [type, value]),
  );
  const day = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + offsetDays));
  return day.toISOString().slice(0, 10);
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) {
    return t("common.none");
  }
  const whole = Math.round(Number(seconds));
  if (whole < 60) return t("stats.seconds", { n: whole });
  return t("stats.minutes", { m: Math.floor(whole / 60), s: whole % 60 });
}

/** A running timer: "0:42", "12:05", "1:02:09" (whole seconds). */
export function formatClock(seconds) {
  const whole = Math.max(0, Math.floor(Number(seconds) || 0));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined) return t("common.none");
  return new Intl.NumberFormat(current === "ja" ? "ja-JP" : "en-GB", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(Number(value));
}
