// The "Block visitor" dialog (R-BLK-1): for how many days (1–365, 30 unless
// changed), why (optional, only operators read it), and whether the customer's IP
// address is blocked too. Confirming blocks the visitor and ends the chat; the
// customer only ever reads that the chat has ended and that chat is not available.

import { api } from "../api.js";
import { fieldOf } from "../errors.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import { openDialog } from "./dialog.js";

export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 365;
export const MAX_REASON = 500;

/** Enter that confirms an IME conversion is the IME's, never the form's. */
export function composing(event) {
  return event.isComposing || event.keyCode === 229;
}

/** Whole days from what was typed (full-width digits too), or null. */
export function parseDays(text) {
  const value = String(text ?? "").normalize("NFKC").trim();
  if (!/^\d{1,3}$/.test(value)) return null;
  const days = Number(value);
  return days >= 1 && days <= MAX_DAYS ? days : null;
}

/**
 * Open the dialog for `chat`. Resolves with the block the server made (the chat has
 * ended), or null when cancelled. `onSubmitting(bool)` says while the request is
 * under way; `onOpen(close)` hands over a function that closes it (as cancelled).
 */
export function blockDialog(chat, { onSubmitting = () => {}, onOpen = () => {} } = {}) {
  const name = chat.customer?.name || t("chat.anonymous");
  const ip = chat.customer?.ip || "";
  return openDialog((finish) => {
    onOpen(() => finish(null));
    const titleId = "block-title";
    const fieldError = (id) => h("p", { class: "field-error", id, hidden: true });
    const daysError = fieldError("block-days-error");
    const reasonError = fieldError("block-reason-error");
    const days = h("input", {
      // Text, not a number field: full-width digits typed through an IME are read too.
      id: "block-days", name: "days", type: "text", inputmode: "numeric", maxlength: 3, class: "block-days-input",
      value: String(DEFAULT_DAYS), required: true, autocomplete: "off", "data-testid": "block-days",
      "aria-describedby": "block-days-help block-days-error",
    });
    const reason = h("textarea", {
      id: "block-reason", name: "reason", rows: 3, maxlength: MAX_REASON, "data-testid": "block-reason",
      "aria-describedby": "block-reason-help block-reason-count block-reason-error",
    });
    const count = h("span", { id: "block-reason-count", class: "help transfer-count" });
    const paintCount = () => { count.textContent = t("transfer.noteCount", { count: reason.value.length, max: MAX_REASON }); };
    reason.addEventListener("input", paintCount);
    paintCount();
    const includeIp = h("input", {
      id: "block-ip", name: "include_ip", type: "checkbox", disabled: !ip, "data-testid": "block-ip",
      "aria-describedby": "block-ip-help",
    });
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const submitButton = h("button", { class: "btn btn-danger", type: "submit", "data-action": "block-submit" },
      icon("block"), h("span", {}, t("block.submit")));

    function showFieldError(control, box, text) {
      box.textContent = text || "";
      box.hidden = !text;
      if (text) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }

    function clearErrors() {
      showFieldError(days, daysError, "");
      showFieldError(reason, reasonError, "");
      error.hidden = true;
    }

    days.addEventListener("input", () => showFieldError(days, daysError, ""));
    reason.addEventListener("input", () => showFieldError(reason, reasonError, ""));

    const form = h(
      "form",
      {
        class: "dialog-form block-form",
        novalidate: true,
        onkeydown: (event) => {
          if (event.key === "Enter" && composing(event)) event.preventDefault();
        },
        onsubmit: async (event) => {
          event.preventDefault();
          clearErrors();
          const wanted = parseDays(days.value);
          if (wanted === null) {
            showFieldError(days, daysError, t("block.badDays", { max: MAX_DAYS }));
            days.focus();
            return;
          }
          const why = reason.value.trim();
          if (why.length > MAX_REASON) {
            showFieldError(reason, reasonError, t("block.reasonTooLong", { max: MAX_REASON }));
            reason.focus();
            return;
          }
          submitButton.disabled = true;
          onSubmitting(true);
          try {
            const made = await api.blockVisitor(chat.chat_id, { reason: why, days: wanted, includeIp: includeIp.checked && Boolean(ip) });
            finish(made || { chat_id: chat.chat_id, customer_id: chat.customer?.customer_id, until: null });
          } catch (failure) {
            // A 400 names its field: the message goes under that control.
            const field = failure.code === "bad_request" ? fieldOf(failure.detail) : null;
            if (field === "days") {
              showFieldError(days, daysError, failure.message);
              days.focus();
            } else if (field === "reason") {
              showFieldError(reason, reasonError, failure.message);
              reason.focus();
            } else {
              error.textContent = failure.message;
              error.hidden = false;
            }
            submitButton.disabled = false;
          } finally {
            onSubmitting(false);
          }
        },
      },
      h("p", { class: "dialog-text" }, t("block.intro", { name })),
      h("p", { class: "dialog-text block-neutral" }, icon("lock", 14), h("span", {}, t("block.neutral"))),
      h("div", { class: "field block-days-field" },
        h("label", { for: "block-days" }, t("block.days")),
        h("div", { class: "input-unit" }, days, h("span", { class: "unit", "aria-hidden": "true" }, t("block.daysUnit"))),
        h("p", { class: "help", id: "block-days-help" }, t("block.daysHelp", { max: MAX_DAYS, default: DEFAULT_DAYS })),
        daysError),
      h("div", { class: "field" },
        h("label", { for: "block-reason" }, t("block.reason")),
        reason,
        h("p", { class: "help", id: "block-reason-help" }, t("block.reasonHelp")),
        count,
        reasonError),
      h("div", { class: "field block-ip-field" },
        h("label", { class: "check", for: "block-ip" }, includeIp,
          h("span", {}, ip ? t("block.includeIp", { ip }) : t("block.includeIpUnknown"))),
        h("p", { class: "help", id: "block-ip-help" }, t("block.includeIpHelp"))),
      error,
      h("div", { class: "dialog-actions" },
        h("button", { class: "btn", type: "button", onclick: () => finish(null) }, t("common.cancel")),
        submitButton),
    );
    const title = h("h2", { class: "dialog-title", id: titleId }, t("block.title"));
    // The dialog is named by its title once it is in the page.
    queueMicrotask(() => title.parentElement?.setAttribute("aria-labelledby", titleId));
    setTimeout(() => days.focus(), 0);
    return [title, form];
  });
}
