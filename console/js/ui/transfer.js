// The Transfer dialog (R-TR-1): the online operators with their load ("2 / 5", and
// in words), those who cannot take the chat shown but not choosable, "Back to the
// queue", and an optional handover note (stored as an internal note).

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import * as session from "../session.js";
import { openDialog } from "./dialog.js";

const MAX_NOTE = 5000;
const QUEUE = "queue";

/** Why an operator cannot take the chat, in words (never only a greyed row). */
function unavailableReason(operator) {
  if (operator.status && operator.status !== "online") return t(`status.${operator.status}`);
  if (operator.max_chats != null && (operator.open_chats ?? 0) >= operator.max_chats) return t("transfer.full");
  return t("transfer.unavailable");
}

/**
 * Open the dialog for `chat`. Resolves with {done: true, chat, queued, operator} after
 * a transfer (queued: back to the queue), {done: false, code, message} when the
 * chat ended or was moved meanwhile, or null when cancelled. `onSubmitting(bool)`
 * says while the request is under way; `onOpen(close)` hands over a function that
 * closes the dialog (as cancelled).
 */
export function transferDialog(chat, { onSubmitting = () => {}, onOpen = () => {} } = {}) {
  const me = session.operator() || {};
  const name = chat.customer?.name || t("chat.anonymous");
  return openDialog((finish) => {
    onOpen(() => finish(null));
    const titleId = "transfer-title";
    const options = h("div", { class: "transfer-options", "data-testid": "transfer-operators" },
      h("p", { class: "muted" }, t("transfer.loading")));
    const refresh = h("button", { class: "btn btn-sm btn-ghost", type: "button", onclick: () => load() },
      icon("refresh", 16), h("span", {}, t("transfer.refresh")));
    const note = h("textarea", {
      id: "transfer-note", name: "note", rows: 3, maxlength: MAX_NOTE,
      "aria-describedby": "transfer-note-help transfer-note-count",
    });
    const count = h("span", { id: "transfer-note-count", class: "help transfer-count" });
    const paintCount = () => { count.textContent = t("transfer.noteCount", { count: note.value.length, max: MAX_NOTE }); };
    note.addEventListener("input", paintCount);
    paintCount();
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const submitButton = h("button", { class: "btn btn-primary", type: "submit", "data-action": "transfer-submit" },
      icon("transfer"), h("span", {}, t("transfer.submit")));
    let operators = [];

    function showError(text) {
      error.textContent = text;
      error.hidden = !text;
    }

    function choice(value, { disabled = false, main, detail, testId }) {
      const id = `transfer-${value}`;
      return h(
        "label",
        { class: ["transfer-option", disabled && "disabled"], for: id, "data-testid": testId },
        h("input", { type: "radio", name: "transfer-target", id, value, disabled }),
        h("span", { class: "transfer-option-body" }, main, detail),
      );
    }

    function operatorChoice(operator) {
      const open = operator.open_chats ?? 0;
      const max = operator.max_chats ?? "—";
      const available = operator.available !== false;
      const ratio = typeof operator.max_chats === "number" && operator.max_chats > 0 ? Math.min(1, open / operator.max_chats) : 0;
      return choice(operator.operator_id, {
        disabled: !available,
        testId: "transfer-operator",
        main: h("span", { class: "transfer-name" }, operator.name || operator.operator_id),
        detail: h("span", { class: "transfer-detail" },
          h("span", { class: "status-inline" },
            h("span", { class: `status-dot status-${operator.status || "offline"}`, "aria-hidden": "true" }),
            t(`status.${operator.status || "offline"}`)),
          h("span", { class: "transfer-load" },
            h("span", { class: "load-bar", "aria-hidden": "true" }, h("span", { class: "load-fill", "data-ratio": ratio })),
            h("span", { class: "load-figures", "aria-hidden": "true" }, `${open} / ${max}`),
            h("span", { class: "sr-only" }, t("transfer.loadText", { open, max }))),
          available ? null : h("span", { class: "transfer-why" }, unavailableReason(operator))),
      });
    }

    async function load() {
      const checked = options.querySelector("input:checked")?.value;
      refresh.disabled = true;
      try {
        const found = (await api.transferTargets(chat.chat_id)).operators || [];
        operators = found.filter((op) => op.operator_id !== me.operator_id && op.operator_id !== chat.operator_id);
        const list = operators.length
          ? operators.map(operatorChoice)
          : [h("p", { class: "muted transfer-none" }, t("transfer.none"))];
        options.replaceChildren(...list);
        for (const fill of options.querySelectorAll(".load-fill")) fill.style.width = `${Math.round(Number(fill.dataset.ratio) * 100)}%`;
      } catch (failure) {
        operators = [];
        options.replaceChildren(h("p", { class: "text-danger" }, t("transfer.listFailed", { message: failure.message })));
      } finally {
        refresh.disabled = false;
      }
      // Keep a choice that is still possible.
      const again = checked && [...form.querySelectorAll("input[name=transfer-target]")].find((input) => input.value === checked);
      if (again && !again.disabled) again.checked = true;
    }

    const form = h(
      "form",
      {
        class: "dialog-form transfer-form",
        onchange: (event) => {
          if (event.target.name === "transfer-target") showError("");
        },
        onsubmit: async (event) => {
          event.preventDefault();
          const target = form.querySelector("input[name=transfer-target]:checked")?.value;
          if (!target) {
            showError(t("transfer.pick"));
            form.querySelector("input[name=transfer-target]:not(:disabled)")?.focus();
            return;
          }
          showError("");
          submitButton.disabled = true;
          onSubmitting(true);
          try {
            const operatorId = target === QUEUE ? null : target;
            const updated = await api.transferChat(chat.chat_id, { operatorId, note: note.value.trim() });
            finish({ done: true, chat: updated, queued: !operatorId, operator: operators.find((op) => op.operator_id === operatorId) || null });
          } catch (failure) {
            if (failure.code === "chat_ended" || failure.code === "chat_moved") {
              finish({ done: false, code: failure.code, message: failure.message });
              return;
            }
            if (failure.code === "operator_unavailable") {
              await load();
              showError(t("transfer.refreshed", { message: failure.message }));
            } else {
              showError(failure.message);
            }
            submitButton.disabled = false;
          } finally {
            onSubmitting(false);
          }
        },
      },
      h("p", { class: "dialog-text" }, t("transfer.intro", { name })),
      h("fieldset", { class: "transfer-targets" },
        h("legend", {}, t("transfer.to")),
        h("div", { class: "transfer-refresh" }, refresh),
        options,
        h("div", { class: "transfer-queue" },
          // A chat whose customer has left has nobody to wait in the queue.
          choice(QUEUE, {
            testId: "transfer-queue",
            disabled: Boolean(chat.customer_left_at),
            main: h("span", { class: "transfer-name" }, t("transfer.queue")),
            detail: h("span", { class: "help" }, t(chat.customer_left_at ? "transfer.queueLeft" : "transfer.queueHelp")),
          }))),
      h("div", { class: "field" },
        h("label", { for: "transfer-note" }, t("transfer.note")),
        note,
        h("p", { class: "help", id: "transfer-note-help" }, t("transfer.noteHelp")),
        count),
      error,
      h("div", { class: "dialog-actions" },
        h("button", { class: "btn", type: "button", onclick: () => finish(null) }, t("common.cancel")),
        submitButton),
    );
    const title = h("h2", { class: "dialog-title", id: titleId }, t("transfer.title"));
    // The dialog is named by its title once it is in the page.
    queueMicrotask(() => title.parentElement?.setAttribute("aria-labelledby", titleId));
    load().then(() => form.querySelector("input[name=transfer-target]:not(:disabled)")?.focus());
    return [title, form];
  });
}
