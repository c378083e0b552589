// The webhook form (R-HOOK-1): the URL and the events, for New webhook (on the
// screen) and Edit (in a dialog). The server decides which URLs may receive
// webhooks; when it refuses one (400 `bad_url`: not https, a private, loopback,
// link-local or metadata address, a name that does not resolve, too long), its own
// words go under the field, as text.

import { fieldOf } from "../errors.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";

/** What a webhook may subscribe to (`ping` is sent by "Send test" only). */
export const WEBHOOK_EVENTS = [
  "chat.started", "chat.assigned", "chat.transferred", "chat.ended", "chat.rated",
  "message.created", "ticket.created", "ticket.updated",
];
/** A service has at most this many webhooks (409 `conflict` beyond). */
export const MAX_WEBHOOKS = 10;

/** An event's name in the reader's words (its code when the console has none). */
export function eventLabel(name) {
  const key = `webhooks.event.${name}`;
  const text = t(key);
  return text === key ? name : text;
}

/** The server's own words without the field it names first ("url: not https" → "not https"). */
export function serverWords(failure) {
  const detail = String(failure?.detail || "");
  if (!detail || detail === failure?.code) return "";
  const field = fieldOf(detail);
  return (field ? detail.slice(field.length + 2) : detail).trim();
}

/** Enter that confirms an IME conversion (Japanese input) is the IME's, never the form's. */
const composing = (event) => event.isComposing || event.keyCode === 229;

/**
 * The form. `webhook`: the one edited (null: a new one); `submit({url, events})`
 * sends it and may throw the API's error, which is shown at its field; `cancel()`.
 * Returns `{el, focus, isDirty}`.
 */
export function webhookForm({ webhook = null, idPrefix, submitLabel, submit, cancel }) {
  const urlId = `${idPrefix}-url`;
  const chosen = new Set(webhook?.events || []);
  const url = h("input", {
    id: urlId, name: "url", type: "url", inputmode: "url", autocomplete: "off", spellcheck: "false",
    autocapitalize: "off", required: true, value: webhook?.url || "", placeholder: "https://",
    "data-testid": "webhook-url", "aria-describedby": `${urlId}-help ${urlId}-error`,
  });
  const urlError = h("p", { class: "field-error", id: `${urlId}-error`, "data-testid": "webhook-url-error", hidden: true });
  const boxes = WEBHOOK_EVENTS.map((name) => h("input", {
    type: "checkbox", name: "events", value: name, checked: chosen.has(name), id: `${idPrefix}-event-${name.replace(".", "-")}`,
  }));
  const eventsError = h("p", { class: "field-error", id: `${idPrefix}-events-error`, "data-testid": "webhook-events-error", hidden: true });
  const formError = h("p", { class: "form-error", role: "alert", "data-testid": "webhook-form-error", hidden: true });
  const submitButton = h("button", { class: "btn btn-primary", type: "submit", "data-action": "webhook-submit" }, submitLabel);
  const setAll = (checked) => {
    for (const box of boxes) box.checked = checked;
    showError(eventsError, null);
  };

  function showError(box, sentence, because = "") {
    box.replaceChildren();
    if (sentence) {
      box.append(h("span", {}, sentence));
      if (because) box.append(" ", h("span", { class: "server-words", "data-testid": "server-words" }, t("webhooks.serverSays", { message: because })));
    }
    box.hidden = !sentence;
    if (sentence) box.setAttribute("role", "alert");
    else box.removeAttribute("role");
    if (box === urlError) {
      if (sentence) url.setAttribute("aria-invalid", "true");
      else url.removeAttribute("aria-invalid");
    }
  }

  function clearErrors() {
    showError(urlError, null);
    showError(eventsError, null);
    formError.hidden = true;
  }

  /** The API's refusal, at the field it is about. */
  function placeFailure(failure) {
    const field = failure.code === "bad_url" ? "url" : failure.status === 400 ? (fieldOf(failure.detail) || "").split(/[.[]/)[0] : "";
    const because = serverWords(failure);
    if (field === "url") {
      showError(urlError, failure.code === "bad_url" ? failure.message : t("webhooks.badUrlField"), because);
      url.focus();
    } else if (field === "events") {
      showError(eventsError, t("webhooks.badEvents"), because);
      boxes[0].focus();
    } else {
      formError.textContent = failure.status === 409 && !webhook
        ? t("webhooks.tooMany", { max: MAX_WEBHOOKS })
        : [failure.message, failure.status === 400 && because ? t("webhooks.serverSays", { message: because }) : ""].filter(Boolean).join(" ");
      formError.hidden = false;
    }
  }

  url.addEventListener("input", () => showError(urlError, null));
  for (const box of boxes) box.addEventListener("change", () => showError(eventsError, null));

  const el = h(
    "form",
    {
      class: "webhook-form",
      novalidate: true,
      "data-testid": "webhook-form",
      onkeydown: (event) => {
        if (event.key === "Enter" && composing(event)) event.preventDefault();
      },
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors();
        const wanted = { url: url.value.trim(), events: boxes.filter((box) => box.checked).map((box) => box.value) };
        if (!wanted.url) {
          showError(urlError, t("webhooks.urlRequired"));
          url.focus();
          return;
        }
        if (!wanted.events.length) {
          showError(eventsError, t("webhooks.eventsRequired"));
          boxes[0].focus();
          return;
        }
        submitButton.disabled = true;
        try {
          await submit(wanted);
        } catch (failure) {
          placeFailure(failure);
        } finally {
          submitButton.disabled = false;
        }
      },
    },
    h("div", { class: "field" },
      h("label", { for: urlId }, t("webhooks.url")),
      url,
      h("p", { class: "help", id: `${urlId}-help` }, t("webhooks.urlHelp")),
      urlError),
    h("fieldset", { class: "webhook-events-field", "aria-describedby": `${idPrefix}-events-help ${idPrefix}-events-error` },
      h("legend", {}, t("webhooks.events")),
      h("p", { class: "help", id: `${idPrefix}-events-help` }, t("webhooks.eventsHelp")),
      h("div", { class: "webhook-event-choices" },
        WEBHOOK_EVENTS.map((name, index) => h("label", { class: "check webhook-event-choice", for: boxes[index].id },
          boxes[index],
          h("span", { class: "webhook-event-text" },
            h("span", {}, eventLabel(name)),
            h("code", { class: "webhook-event-code" }, name))))),
      h("div", { class: "webhook-event-all" },
        h("button", { class: "link", type: "button", "data-action": "events-all", onclick: () => setAll(true) }, t("webhooks.all")),
        h("button", { class: "link", type: "button", "data-action": "events-none", onclick: () => setAll(false) }, t("webhooks.none"))),
      eventsError),
    formError,
    h("div", { class: "dialog-actions" },
      h("button", { class: "btn", type: "button", "data-action": "webhook-cancel", onclick: () => cancel() }, t("common.cancel")),
      submitButton),
  );

  const isDirty = () => url.value.trim() !== (webhook?.url || "")
    || boxes.some((box) => box.checked !== chosen.has(box.value));

  return { el, focus: () => url.focus(), isDirty };
}

/** The webhook's events as small labels (their codes as titles). */
export function eventPills(events) {
  return h("ul", { class: "webhook-events", "aria-label": t("webhooks.events") },
    (events || []).map((name) => h("li", { class: "pill pill-info", title: name }, eventLabel(name))));
}

/** An icon and a line, for the cards' notices. */
export function notice(kind, ...children) {
  return h("div", { class: ["webhook-notice", `webhook-notice-${kind}`] }, icon("alert", 16), h("div", {}, ...children));
}
