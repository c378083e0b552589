// Settings' "Data retention" card (R-PRIV-1): `retention_days`, how long chats,
// tickets and their files are kept from when they were made (30 to 3650 days). The
// server deletes what is older by itself, and a change applies to what exists too
// (a background job gives every item the new time).

import { h } from "../dom.js";
import { formatNumber, t } from "../i18n.js";

export const MIN_DAYS = 30;
export const MAX_DAYS = 3650;

/** Whole days from what was typed (full-width digits through an IME too), or null. */
export function parseRetention(text) {
  const value = String(text ?? "").normalize("NFKC").trim();
  if (!/^\d{1,4}$/.test(value)) return null;
  const days = Number(value);
  return days >= MIN_DAYS && days <= MAX_DAYS ? days : null;
}

/** The card's controls; `errorSlot(field, {control, label})` places the field's error line. */
export function retentionEditor(value, { errorSlot }) {
  const label = t("settings.retention.days");
  const given = String(value ?? "");
  const days = h("input", {
    // Text, not a number field: full-width digits typed through an IME are read too.
    type: "text", name: "retention_days", inputmode: "numeric", maxlength: 4, autocomplete: "off",
    value: given, class: "retention-input", "data-testid": "settings-retention-days",
    "aria-describedby": "settings-retention-help",
  });
  const el = h("div", { class: "retention-editor" },
    h("div", { class: "field" },
      h("label", {}, label,
        h("span", { class: "input-unit" }, days, h("span", { class: "unit", "aria-hidden": "true" }, t("settings.retention.unit")))),
      h("p", { class: "help", id: "settings-retention-help" },
        t("settings.retention.help", { min: formatNumber(MIN_DAYS), max: formatNumber(MAX_DAYS) })),
      errorSlot("retention_days", { control: days, label })),
    h("p", { class: "help" }, t("settings.retention.existing")));

  return {
    el,
    /** The days (what was typed, as typed, when it is not a whole number in range:
     * then it differs from the saved value and problems() names it). */
    value: () => parseRetention(days.value) ?? days.value.trim(),
    /** What the server would refuse: [{field, text}]. */
    problems() {
      return parseRetention(days.value) === null
        ? [{ field: "retention_days", text: t("settings.retention.bad", { min: MIN_DAYS, max: MAX_DAYS }) }]
        : [];
    },
  };
}
