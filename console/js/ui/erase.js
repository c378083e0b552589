// Erasing one customer's personal data (R-PRIV-2), shared by the Privacy screen and
// the customer panel: the confirmation that says it cannot be undone, the request,
// an erasure too long for one request followed to its end (202 `running`: asked for
// again every 2 s until `done`), and the counts in the reader's words.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatNumber, t } from "../i18n.js";
import { openDialog } from "./dialog.js";

export const POLL_MS = 2000;
/** What an erasure counts (its `erased`), in the order the console shows them. */
export const COUNTS = ["customers", "chats", "messages", "attachments", "tickets"];
const RETRIES = 5; // failed polls in a row (a network blip, a busy server) before giving up

/**
 * The confirmation: who (`who`, text), what goes, and that it cannot be undone.
 * Resolves true when the admin confirms; Cancel (focused first) and Esc do nothing.
 */
export function confirmErase(who) {
  return openDialog((finish) => {
    const titleId = "erase-title";
    const warningId = "erase-warning";
    const title = h("h2", { class: "dialog-title", id: titleId }, t("erase.confirmTitle"));
    const cancel = h("button", { class: "btn", type: "button", "data-action": "erase-cancel", onclick: () => finish(false) },
      t("common.cancel"));
    // The dialog is named by its title, and described by the warning, once it is in the page.
    queueMicrotask(() => {
      title.parentElement?.setAttribute("aria-labelledby", titleId);
      title.parentElement?.setAttribute("aria-describedby", warningId);
    });
    setTimeout(() => cancel.focus(), 0);
    return [
      title,
      h("p", { class: "dialog-text erase-who", "data-testid": "erase-who" }, who),
      h("p", { class: "dialog-text" }, t("erase.what")),
      h("p", { class: "dialog-text erase-warning", id: warningId, "data-testid": "erase-warning" },
        icon("alert", 16), h("span", {}, t("erase.irreversible"))),
      h("div", { class: "dialog-actions" },
        cancel,
        h("button", { class: "btn btn-danger", type: "button", "data-confirm": "", "data-action": "erase-confirm", onclick: () => finish(true) },
          t("erase.confirm"))),
    ];
  }).then(Boolean);
}

const transient = (error) => error.status === 0 || error.status === 429 || error.status >= 500;
const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * Erase `who` (`{customer_id}` or `{email}`) and follow the erasure to its end.
 * Resolves with the finished erasure, or null when `alive()` turned false while
 * following it (the server goes on). `onProgress(erasure)` hears every `running`
 * answer. Throws the API's error; one thrown while following a running erasure
 * carries its `erasureId` (the server goes on with it).
 */
export async function erase(who, { onProgress = () => {}, alive = () => true } = {}) {
  let erasure = await api.eraseCustomer(who);
  let failures = 0;
  while (erasure?.status !== "done") {
    onProgress(erasure);
    await pause(POLL_MS);
    if (!alive()) return null;
    try {
      erasure = await api.erasure(erasure.erasure_id);
      failures = 0;
    } catch (error) {
      if (!transient(error) || ++failures > RETRIES) {
        error.erasureId = erasure.erasure_id;
        throw error;
      }
    }
  }
  return erasure;
}

/** The counts as a list of terms and numbers: "Customers 1", "Chats 3"… */
export function countsList(erased, { testId = "erase-counts" } = {}) {
  return h("dl", { class: "dl erase-counts", "data-testid": testId },
    COUNTS.map((name) => h("div", { class: "dl-row", "data-count": name },
      h("dt", {}, t(`erase.count.${name}`)),
      h("dd", {}, formatNumber(Number(erased?.[name]) || 0)))));
}

/** The counts in one sentence (a notice). */
export function countsSentence(erased, key = "erase.summary") {
  return t(key, Object.fromEntries(COUNTS.map((name) => [name, formatNumber(Number(erased?.[name]) || 0)])));
}

/** True when the erasure found nothing at all (an email nobody has). */
export function nothingErased(erased) {
  return COUNTS.every((name) => !Number(erased?.[name]));
}
