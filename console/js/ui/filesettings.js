// Settings' "Files in chats" card (R-ATT-1): `attachments: {enabled, max_bytes,
// types}`. The size is edited in MB (the API counts bytes, at most 25 MB); the
// types are the six a service may allow (never SVG or HTML), at least one.

import { h } from "../dom.js";
import { FILE_TYPES, MB, TYPE_EXTENSIONS, TYPE_NAMES } from "../files.js";
import { formatNumber, t } from "../i18n.js";

export const MAX_BYTES = 25 * MB;

/** The setting as the card gives it back: the types in the list's order. */
export function normalizeAttachments(value) {
  const given = value || {};
  return {
    enabled: Boolean(given.enabled),
    max_bytes: Number(given.max_bytes) || 0,
    types: FILE_TYPES.filter((type) => (given.types || []).includes(type)),
  };
}

/** 10485760 → "10"; 1572864 → "1.5" (at most two decimals). */
function megabytes(bytes) {
  return String(Math.round((bytes / MB) * 100) / 100);
}

/** "PNG image (.png)", "Plain text (.txt)". */
function typeLabel(type) {
  const extensions = `(${TYPE_EXTENSIONS[type].join(", ")})`;
  if (type === "text/plain") return `${t("settings.attachments.text")} ${extensions}`;
  const kind = type.startsWith("image/") ? t("settings.attachments.image") : t("settings.attachments.document");
  return `${TYPE_NAMES[type]} ${kind} ${extensions}`;
}

/** The card's controls; `errorSlot(field, {control, label})` places a field's error line. */
export function attachmentsEditor(value, { errorSlot }) {
  const given = normalizeAttachments(value);
  const shown = megabytes(given.max_bytes);
  const enabled = h("input", { type: "checkbox", name: "attachments.enabled", checked: given.enabled });
  const size = h("input", {
    type: "number", name: "attachments.max_bytes", min: 0.01, max: MAX_BYTES / MB, step: "any", inputmode: "decimal", value: shown,
    class: "attach-size-input",
  });
  const boxes = FILE_TYPES.map((type) => h("input", { type: "checkbox", name: "attachments.types", value: type, checked: given.types.includes(type) }));
  const sizeLabel = t("settings.attachments.maxSize");
  const typesLabel = t("settings.attachments.types");

  const el = h("div", { class: "attachments-editor" },
    h("div", { class: "toggle-field" },
      h("label", { class: "toggle" }, enabled, h("span", {}, t("settings.attachments.enabled"))),
      errorSlot("attachments.enabled", { control: enabled, label: t("settings.attachments.enabled") })),
    h("p", { class: "help toggle-help" }, t("settings.attachments.enabledHelp")),
    h("div", { class: "field" },
      h("label", {}, sizeLabel, h("span", { class: "input-unit" }, size, h("span", { class: "unit" }, "MB"))),
      h("p", { class: "help" }, t("settings.attachments.maxSizeHelp", { max: formatNumber(MAX_BYTES / MB) })),
      errorSlot("attachments.max_bytes", { control: size, label: sizeLabel })),
    h("fieldset", { class: "field attach-types" },
      h("legend", {}, typesLabel),
      h("div", { class: "checks" }, boxes.map((box) => h("label", { class: "check" }, box, typeLabel(box.value)))),
      h("p", { class: "help" }, t("settings.attachments.typesHelp")),
      errorSlot("attachments.types", { control: () => boxes[0], label: typesLabel })),
    // `attachments: …` (the setting as a whole refused) shows under the card.
    errorSlot("attachments", { control: enabled, label: t("settings.attachments.title") }));

  function bytes() {
    if (size.value.trim() === shown) return given.max_bytes; // untouched: exactly what was saved
    return Math.round(Number(size.value) * MB);
  }

  return {
    el,
    value: () => ({
      enabled: enabled.checked,
      max_bytes: bytes(),
      types: FILE_TYPES.filter((type, index) => boxes[index].checked),
    }),
    /** What the server would refuse: [{field, text}]. */
    problems() {
      const found = [];
      const max = bytes();
      if (!size.value.trim() || !Number.isFinite(max) || max < 1 || max > MAX_BYTES) {
        found.push({ field: "attachments.max_bytes", text: t("settings.attachments.badSize", { max: formatNumber(MAX_BYTES / MB) }) });
      }
      if (!boxes.some((box) => box.checked)) found.push({ field: "attachments.types", text: t("settings.attachments.noTypes") });
      return found;
    },
  };
}
