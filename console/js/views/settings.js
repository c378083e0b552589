// Admin: settings (R-SET-1…5, 7), business hours and what the widget does outside
// them (R-HRS-1), how long data is kept (R-PRIV-1), the widget snippet to copy, the
// identity secret.

import { api } from "../api.js";
import { h, icon, mount } from "../dom.js";
import { fieldOf } from "../errors.js";
import { setTimeZone, t } from "../i18n.js";
import * as store from "../store.js";
import { confirmDialog } from "../ui/dialog.js";
import { attachmentsEditor, normalizeAttachments } from "../ui/filesettings.js";
import { hoursEditor, normalizeHours } from "../ui/hours.js";
import { retentionEditor } from "../ui/retention.js";
import { toast, toastError } from "../ui/toast.js";

const WIDGET_LANGUAGES = [["ja", "日本語"], ["en", "English"], ["ko", "한국어"]];
// Settings edited as one item per line.
const LISTS = new Set(["allowed_origins", "channels"]);
// Texts the service writes for its customers: one per widget language (R-I18N-2).
const TEXTS = ["greeting", "consent_text", "rating_message", "away_message"];

/** A text setting as {language: text} in the widget's order: a plain string (from
 * before texts came per language) is the default language's. */
export function textsByLanguage(value, defaultLanguage) {
  const given = typeof value === "string" ? { [defaultLanguage]: value } : value || {};
  return Object.fromEntries(WIDGET_LANGUAGES.map(([code]) => [code, given[code]]).filter(([, text]) => text));
}

/** JSON with the keys of every object in order, so equal settings compare equal
 * whatever order the server wrote them in. */
function stable(value) {
  return JSON.stringify(value, (key, item) => (item && typeof item === "object" && !Array.isArray(item)
    ? Object.fromEntries(Object.keys(item).sort().map((name) => [name, item[name]]))
    : item));
}

/** Every IANA time zone this browser knows, UTC first. */
function timeZones() {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...known.filter((zone) => zone !== "UTC")];
}

export function render(container) {
  let loaded = null;
  let countries = [];
  let hours = null; // the business-hours editor, when the service has hours
  let files = null; // the "Files in chats" card's editor (R-ATT-1)
  let retention = null; // the "Data retention" card's editor (R-PRIV-1)
  const form = h("form", { class: "settings-form", "data-testid": "settings-form" }, h("p", { class: "muted" }, t("common.loading")));
  const snippetBox = h("pre", { class: "snippet", "data-testid": "widget-snippet" }, t("common.loading"));
  const secretOut = h("div", { class: "secret", hidden: true });

  container.append(
    h("div", { class: "page page-settings" },
      h("header", { class: "page-head" }, h("h1", {}, t("settings.title"))),
      h("div", { class: "settings-grid" },
      form,
      h("div", { class: "settings-side" },
      h("section", { class: "card" },
        h("div", { class: "card-head" }, h("h2", {}, t("settings.snippet")),
          h("button", { class: "btn btn-sm", type: "button", "data-action": "copy", onclick: copySnippet }, icon("copy"), h("span", {}, t("settings.copy")))),
        h("p", { class: "help" }, t("settings.snippetHelp")),
        snippetBox),
      h("section", { class: "card" },
        h("div", { class: "card-head" }, h("h2", {}, t("settings.identity")),
          h("button", { class: "btn btn-sm btn-danger-outline", type: "button", onclick: rotate }, t("settings.rotate"))),
        h("p", { class: "help" }, t("settings.identityHelp")),
        secretOut)))),
  );

  const controls = {};
  const texts = {}; // text setting -> {language: its box}
  const errorSlots = new Map(); // a field's path -> {el, control, label}: where its error shows
  const formError = h("p", { class: "form-error", role: "alert", hidden: true });
  const text = (name, attrs = {}) => (controls[name] = h("input", { name, type: "text", ...attrs }));
  const area = (name, rows = 3) => (controls[name] = h("textarea", { name, rows }));
  const check = (name) => (controls[name] = h("input", { name, type: "checkbox" }));

  /** The error line of a field (`control`: the element, or a function finding it, that
   * gets the focus and aria-invalid). */
  function errorSlot(field, { control, label, id } = {}) {
    const el = h("p", { class: "field-error", id: id || `error-${field.replace(/[^\w-]/g, "-")}`, hidden: true });
    if (control instanceof Element) {
      control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), el.id].filter(Boolean).join(" "));
    }
    errorSlots.set(field, { el, control, label });
    return el;
  }

  const labelled = (label, el, help) => h("div", { class: "field" }, h("label", {}, label, el), help ? h("p", { class: "help" }, help) : null,
    el.name ? errorSlot(el.name, { control: el, label }) : null);
  const toggle = (label, el) => h("div", { class: "toggle-field" }, h("label", { class: "toggle" }, el, h("span", {}, label)),
    el.name ? errorSlot(el.name, { control: el, label }) : null);

  // One box per language the service offers, labelled with the language's name;
  // the other languages' boxes keep their texts, hidden, until offered again.
  function languageTexts(name, label, help, values) {
    const given = textsByLanguage(values[name], values.default_language);
    texts[name] = {};
    const rows = WIDGET_LANGUAGES.map(([code, language]) => {
      const box = h("textarea", { name: `${name}.${code}`, lang: code, rows: 2, value: given[code] || "" });
      texts[name][code] = box;
      return h("div", { class: "lang-text", "data-lang": code },
        h("label", {}, h("span", {}, h("span", { lang: code }, language),
          h("span", { class: "lang-default" }, t("settings.defaultText"))), box));
    });
    const error = errorSlot(name, { control: () => Object.values(texts[name]).find((box) => !box.closest("[hidden]")), label });
    // `greeting.ja: …` is that box's.
    for (const [code, box] of Object.entries(texts[name])) errorSlots.set(`${name}.${code}`, { el: error, control: box, label });
    return h("fieldset", { class: "field lang-texts", "data-texts": name },
      h("legend", {}, label), rows, help ? h("p", { class: "help" }, help) : null, error);
  }

  /** The text boxes follow the languages ticked and the default language chosen. */
  function showLanguages() {
    const offered = [...form.querySelectorAll("input[name=languages]:checked")].map((el) => el.value);
    const fallback = controls.default_language?.value;
    for (const row of form.querySelectorAll(".lang-text")) {
      row.hidden = !offered.includes(row.dataset.lang);
      row.querySelector(".lang-default").hidden = row.dataset.lang !== fallback;
    }
  }

  function build(values) {
    errorSlots.clear();
    for (const name of Object.keys(controls)) delete controls[name];
    formError.hidden = true;
    const languageBoxes = WIDGET_LANGUAGES.map(([code, label]) =>
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "languages", value: code, checked: (values.languages || []).includes(code),
        onchange: showLanguages }), label));
    controls.default_language = h("select", { name: "default_language", onchange: showLanguages },
      WIDGET_LANGUAGES.map(([code, label]) => h("option", { value: code }, label)));
    const zones = h("datalist", { id: "settings-time-zones" }, timeZones().map((zone) => h("option", { value: zone })));
    const timezone = "timezone" in values ? labelled(t("settings.timezone"),
      text("timezone", { list: zones.id, autocomplete: "off", spellcheck: "false" }), t("settings.timezoneHelp")) : null;
    // Business hours (with the zone they are in), when the service has them.
    hours = "business_hours" in values
      ? hoursEditor(values.business_hours, { countries, timezone, errorSlot })
      : null;
    files = "attachments" in values ? attachmentsEditor(values.attachments, { errorSlot }) : null;
    retention = "retention_days" in values ? retentionEditor(values.retention_days, { errorSlot }) : null;
    const away = "away_message" in values || "offline_form" in values;
    // mount() skips the sections this service's settings do not have (null).
    mount(form,
      h("section", { class: "card" },
        h("h2", {}, t("settings.chat")),
        toggle(t("settings.chatEnabled"), check("chat_enabled")),
        hours ? null : timezone,
        zones,
        h("p", { class: "help" }, t("settings.textsHelp")),
        languageTexts("greeting", t("settings.greeting"), t("settings.greetingHelp"), values),
        "consent_text" in values ? languageTexts("consent_text", t("settings.consentText"), null, values) : null,
        languageTexts("rating_message", t("settings.ratingMessage"), t("settings.ratingMessageHelp"), values)),
      hours ? h("section", { class: "card", "data-testid": "settings-hours" },
        h("h2", {}, t("settings.hours.title")),
        hours.el) : null,
      away ? h("section", { class: "card", "data-testid": "settings-away" },
        h("h2", {}, t("settings.away")),
        "away_message" in values ? languageTexts("away_message", t("settings.awayMessage"), t("settings.awayMessageHelp"), values) : null,
        "offline_form" in values ? toggle(t("settings.offlineForm"), check("offline_form")) : null,
        "offline_form" in values ? h("p", { class: "help toggle-help" }, t("settings.offlineFormHelp")) : null) : null,
      h("section", { class: "card" },
        h("h2", {}, t("settings.assignment")),
        toggle(t("settings.sticky"), check("sticky_assignment")),
        h("div", { class: "field-row" },
          labelled(t("settings.maxChats"), text("max_chats_per_operator", { type: "number", min: 1, max: 50 })),
          labelled(t("settings.unopenedTimeout"), text("unopened_timeout_s", { type: "number", min: 15, max: 3600 })))),
      h("section", { class: "card" },
        h("h2", {}, t("settings.widget")),
        labelled(t("settings.inquiryUrl"), text("inquiry_form_url", { type: "url", placeholder: "https://" }), t("settings.inquiryUrlHelp")),
        h("div", { class: "field" }, h("span", { class: "label" }, t("settings.languages")), h("div", { class: "checks" }, languageBoxes)),
        labelled(t("settings.defaultLanguage"), controls.default_language),
        labelled(t("settings.origins"), area("allowed_origins", 3), t("settings.originsHelp"))),
      "max_queue" in values ? h("section", { class: "card" },
        h("h2", {}, t("settings.limits")),
        h("div", { class: "field-row" },
          labelled(t("settings.maxQueue"), text("max_queue", { type: "number", min: 1, max: 10000 }), t("settings.maxQueueHelp")),
          labelled(t("settings.maxPerAddress"), text("max_open_chats_per_address", { type: "number", min: 1, max: 1000 }), t("settings.maxPerAddressHelp"))),
        labelled(t("settings.channels"), area("channels", 2), t("settings.channelsHelp"))) : null,
      files ? h("section", { class: "card", "data-testid": "settings-attachments" },
        h("h2", {}, t("settings.attachments.title")),
        files.el) : null,
      retention ? h("section", { class: "card", "data-testid": "settings-retention" },
        h("h2", {}, t("settings.retention.title")),
        retention.el) : null,
      h("div", { class: "form-actions" }, formError, h("button", { class: "btn btn-primary", type: "submit", "data-action": "save" }, t("settings.save"))),
    );
    for (const [name, el] of Object.entries(controls)) {
      if (!(name in values)) continue;
      if (el.type === "checkbox") el.checked = Boolean(values[name]);
      else if (LISTS.has(name)) el.value = (values[name] || []).join("\n");
      else el.value = values[name] ?? "";
    }
    showLanguages();
  }

  function read() {
    const values = {};
    for (const [name, el] of Object.entries(controls)) {
      if (!loaded || !(name in loaded)) continue;
      if (el.type === "checkbox") values[name] = el.checked;
      else if (el.type === "number") values[name] = Number(el.value);
      else if (LISTS.has(name)) values[name] = el.value.split(/\s+/).map((s) => s.trim()).filter(Boolean);
      else values[name] = el.value;
    }
    values.languages = [...form.querySelectorAll("input[name=languages]:checked")].map((el) => el.value);
    for (const [name, boxes] of Object.entries(texts)) {
      if (loaded && name in loaded) {
        values[name] = Object.fromEntries(Object.entries(boxes).map(([code, box]) => [code, box.value]).filter(([, text]) => text.trim()));
      }
    }
    if (hours && loaded && "business_hours" in loaded) values.business_hours = hours.value();
    if (files && loaded && "attachments" in loaded) values.attachments = files.value();
    if (retention && loaded && "retention_days" in loaded) values.retention_days = retention.value();
    return values;
  }

  /** A setting as it was loaded, in the form read() gives it. */
  function before(key) {
    if (key === "business_hours") return normalizeHours(loaded[key]);
    if (key === "attachments") return normalizeAttachments(loaded[key]);
    return TEXTS.includes(key) ? textsByLanguage(loaded[key], loaded.default_language) : loaded[key];
  }

  function isDirty() {
    return Boolean(loaded) && Object.keys(changed()).length > 0;
  }

  // Only what this admin changed is sent: the server applies it to the settings
  // as they are now, so another admin saving other fields at once keeps theirs.
  function changed() {
    const now = read();
    return Object.fromEntries(Object.entries(now).filter(([key, value]) => stable(value) !== stable(before(key))));
  }

  // --- errors at their fields ----------------------------------------------------------

  function clearErrors() {
    formError.hidden = true;
    for (const { el } of errorSlots.values()) {
      el.hidden = true;
      el.textContent = "";
      el.removeAttribute("role");
    }
    for (const invalid of form.querySelectorAll("[aria-invalid=true]")) invalid.removeAttribute("aria-invalid");
  }

  /** The slot of `field` or of the nearest field above it (`business_hours.weekly.mon[1]`
   * is Monday's, `greeting.fr` the greeting's). */
  function slotOf(field) {
    let path = field;
    while (path) {
      if (errorSlots.has(path)) return errorSlots.get(path);
      const shorter = path.replace(/\[[^\]]*\]$/, "");
      path = shorter !== path ? shorter : path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
    }
    return null;
  }

  /** Show `text` at `field`; false when the form has no place for it. */
  function showError(field, text, { focus = false } = {}) {
    const slot = slotOf(field);
    if (!slot) return false;
    slot.el.textContent = text;
    slot.el.hidden = false;
    slot.el.setAttribute("role", "alert");
    const control = typeof slot.control === "function" ? slot.control() : slot.control;
    if (control) {
      control.setAttribute("aria-invalid", "true");
      if (focus) {
        control.focus();
        control.scrollIntoView({ block: "center" });
      }
    }
    return true;
  }

  /** Several errors: each at its field, the first focused, and one line by Save. */
  function showErrors(problems) {
    problems.forEach(({ field, text }, index) => showError(field, text, { focus: index === 0 }));
    formError.textContent = t("settings.notSaved");
    formError.hidden = false;
  }

  form.addEventListener("keydown", (event) => {
    // Enter that confirms an IME conversion (Japanese input) in a one-line field
    // is not a submit (Safari reports it after the composition, as keyCode 229).
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229) && event.target.tagName === "INPUT") {
      event.preventDefault();
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const changes = changed();
    const problems = [
      ...("business_hours" in changes && hours ? hours.problems() : []),
      ...("attachments" in changes && files ? files.problems() : []),
      ...("retention_days" in changes && retention ? retention.problems() : []),
    ];
    if (problems.length) {
      showErrors(problems);
      return;
    }
    try {
      loaded = await api.saveSettings(changes);
      setTimeZone(loaded.timezone); // the console follows a new zone at once
      if (loaded.attachments) store.setAttachmentLimits(loaded.attachments); // and new file limits
      build(loaded);
      toast(t("settings.saved"), { kind: "success" });
      // A new retention reaches the existing chats and tickets by a background job.
      if ("retention_days" in changes) toast(t("settings.retention.applying"), { timeout: 8000 });
    } catch (error) {
      // A 400 names the field it refuses (`business_hours.weekly.mon: …`): say it there.
      const field = error.status === 400 ? fieldOf(error.detail) : null;
      const label = field && slotOf(field)?.label;
      if (label) showErrors([{ field, text: error.code === "bad_request" ? t("error.bad_field", { field: label }) : error.message }]);
      else toastError(error);
    }
  });

  async function copySnippet() {
    try {
      await navigator.clipboard.writeText(snippetBox.textContent);
    } catch {
      const range = document.createRange();
      range.selectNodeContents(snippetBox);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      document.execCommand("copy");
    }
    toast(t("settings.copied"), { kind: "success" });
  }

  async function rotate() {
    if (!(await confirmDialog({ title: t("settings.rotate"), message: t("settings.rotateConfirm"), confirmLabel: t("settings.rotate"), danger: true }))) return;
    try {
      const { identity_secret: secret } = await api.rotateIdentitySecret();
      secretOut.replaceChildren(h("p", { class: "help" }, t("settings.rotated")), h("code", { class: "secret-value" }, secret));
      secretOut.hidden = false;
    } catch (error) {
      toastError(error);
    }
  }

  // The holiday countries only fill a select: settings without them still load.
  const countryList = api.holidayCountries().then((found) => found.countries || []).catch(() => []);
  Promise.all([api.settings(), countryList])
    .then(([values, found]) => {
      countries = found;
      loaded = values;
      build(values);
    })
    .catch(toastError);
  api.widgetSnippet().then(({ snippet }) => { snippetBox.textContent = snippet; }).catch((error) => { snippetBox.textContent = error.message; });
  return { isDirty };
}
