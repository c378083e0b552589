// Admin: the blocks in force (R-BLK-1), newest first: who (the customer, linked to
// their chats in Chat History), the IP address if it was blocked too, why, until
// when (in the service's time zone) and by whom; Lift ends one at once.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatTime, t } from "../i18n.js";
import { confirmDialog } from "../ui/dialog.js";
import { toast, toastError } from "../ui/toast.js";
import { historyHref } from "../ui/visitor.js";

const NAME_LOOKUPS = 50; // blocks whose customer's name is asked for (from their chat)

export function render(container) {
  let alive = true;
  const names = new Map(); // chat_id -> the customer's name, from GET /chats/{id}
  const tbody = h("tbody", {});
  const message = h("p", { class: "list-message muted", role: "status", "data-testid": "blocks-message" }, t("common.loading"));
  const refreshButton = h("button", { class: "btn", type: "button", "data-action": "refresh", onclick: () => load() },
    icon("refresh"), h("span", {}, t("blocks.refresh")));
  const columns = ["blocks.customer", "blocks.ip", "blocks.reason", "blocks.until", "blocks.by"];
  container.append(
    h("div", { class: "page" },
      h("header", { class: "page-head" },
        h("div", {}, h("h1", {}, t("blocks.title")), h("p", { class: "muted" }, t("blocks.intro"))),
        refreshButton),
      h("div", { class: "card table-card" },
        h("table", { class: "table blocks-table", "data-testid": "blocks-table" },
          h("caption", { class: "sr-only" }, t("blocks.title")),
          h("thead", {}, h("tr", {}, columns.map((key) => h("th", { scope: "col" }, t(key))),
            h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("blocks.actions"))))),
          tbody),
        message)),
  );

  const customerOf = (block) => block.customer_name || names.get(block.chat_id) || null;

  function row(block) {
    const name = customerOf(block);
    const label = name || t("blocks.unnamed");
    const customer = block.customer_id
      ? h("a", { class: "strong", href: historyHref(block.customer_id), title: t("blocks.customerChats") }, label)
      : h("span", { class: "strong" }, label);
    return h("tr", { "data-block-id": block.block_id, "data-testid": "block-row" },
      h("td", { class: "block-customer" }, customer,
        h("span", { class: "block-id muted small" }, block.customer_id || "")),
      h("td", { class: "nowrap" }, block.ip || t("blocks.noIp")),
      h("td", { class: "block-reason" }, block.reason || h("span", { class: "muted" }, t("blocks.noReason"))),
      h("td", { class: "nowrap" }, h("time", { datetime: block.until || "" }, formatTime(block.until))),
      h("td", {}, h("span", {}, block.created_by_name || block.created_by || t("common.none")),
        h("span", { class: "block-id muted small" }, formatTime(block.created_at))),
      h("td", { class: "row-actions" },
        h("button", {
          class: "btn btn-sm btn-danger-outline", type: "button", "data-action": "lift",
          "aria-label": t("blocks.liftLabel", { name: label }), onclick: () => lift(block, label),
        }, t("blocks.lift"))));
  }

  function paint(blocks) {
    tbody.replaceChildren(...blocks.map(row));
    message.textContent = blocks.length ? (blocks.length === 1 ? t("blocks.countOne") : t("blocks.count", { count: blocks.length })) : t("blocks.empty");
    message.classList.toggle("list-message", !blocks.length);
    message.classList.toggle("blocks-count", Boolean(blocks.length));
  }

  /** A block names its customer by id: their name comes from the chat it was made in. */
  async function lookUpNames(blocks) {
    const missing = blocks.filter((block) => !block.customer_name && block.chat_id && !names.has(block.chat_id)).slice(0, NAME_LOOKUPS);
    if (!missing.length) return false;
    await Promise.all(missing.map(async (block) => {
      try {
        const chat = await api.chat(block.chat_id);
        names.set(block.chat_id, chat?.customer?.name || null);
      } catch {
        names.set(block.chat_id, null);
      }
    }));
    return true;
  }

  let shown = [];
  async function load() {
    refreshButton.disabled = true;
    try {
      shown = (await api.blocks()).blocks || [];
      if (!alive) return;
      paint(shown);
      if (await lookUpNames(shown) && alive) paint(shown);
    } catch (error) {
      tbody.replaceChildren();
      message.classList.add("list-message");
      message.textContent = error.missingRoute ? t("common.unavailable", { message: `HTTP ${error.status}` }) : t("common.error", { message: error.message });
    } finally {
      refreshButton.disabled = false;
    }
  }

  async function lift(block, label) {
    const ok = await confirmDialog({
      title: t("blocks.liftTitle"),
      message: t("blocks.liftConfirm", { name: label }),
      detail: block.ip ? t("blocks.liftIp", { ip: block.ip }) : null,
      confirmLabel: t("blocks.lift"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.liftBlock(block.block_id);
      toast(t("blocks.lifted", { name: label }), { kind: "success" });
    } catch (error) {
      if (error.status !== 404) {
        toastError(error);
        return;
      }
      // Already lifted (or expired): it is gone either way.
    }
    shown = shown.filter((other) => other.block_id !== block.block_id);
    paint(shown);
    refreshButton.focus();
  }

  load();
  return { destroy: () => { alive = false; } };
}
