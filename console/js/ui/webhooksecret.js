// A webhook's signing secret, shown once (R-HOOK-1): after New webhook and after
// Rotate secret. The server never returns it again, so the panel says so, offers
// Copy, and stays until the admin says it is stored (or leaves the screen).

import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { toast } from "./toast.js";

async function copyText(text, source) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (an insecure origin, an old browser): select and copy.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand("copy");
  }
}

/** `{secret, rotated}` for the webhook `webhookId`; `onDone()` when the admin has stored it. */
export function secretPanel({ webhookId, secret, rotated = false, onDone }) {
  const titleId = `webhook-secret-title-${webhookId}`;
  const value = h("code", { class: "secret-value", "data-testid": "webhook-secret-value" }, secret);
  const title = h("h3", { id: titleId, tabindex: -1 }, icon("lock", 15),
    h("span", {}, t(rotated ? "webhooks.secretNewTitle" : "webhooks.secretTitle")));
  const el = h("section", { class: "webhook-secret", "aria-labelledby": titleId, "data-testid": "webhook-secret" },
    title,
    h("p", { class: "webhook-secret-once", "data-testid": "webhook-secret-once" }, icon("alert", 15), h("span", {}, t("webhooks.secretOnce"))),
    value,
    h("p", { class: "help" }, t("webhooks.secretHelp")),
    h("div", { class: "webhook-secret-actions" },
      h("button", {
        class: "btn btn-sm btn-primary", type: "button", "data-action": "copy-secret",
        onclick: async () => {
          await copyText(secret, value);
          toast(t("webhooks.copied"), { kind: "success" });
        },
      }, icon("copy", 15), h("span", {}, t("webhooks.copy"))),
      h("button", { class: "btn btn-sm", type: "button", "data-action": "secret-done", onclick: () => onDone() }, t("webhooks.secretDone"))));
  return { el, focus: () => title.focus() };
}
