// A webhook's delivery log (R-HOOK-1): newest first, 20 a page with "More", each
// delivery's event, state, attempts, the receiver's last status code, the last
// error, the next attempt and when it was made; Redeliver sends a delivered or
// failed one again (the same delivery id). It refreshes itself every 10 seconds
// while open, and a few times soon after Send test or Redeliver; destroy() stops it.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatTime, t } from "../i18n.js";
import { toast, toastError } from "./toast.js";
import { eventLabel } from "./webhookform.js";

export const LOG_REFRESH_MS = 10000;
const SOON_MS = [1500, 4000]; // after Send test or Redeliver: the queue is quick
const MAX_PAGES = 5; // a refresh reloads the pages shown, up to this many

/**
 * The log of `webhook`. `onChange()` is told when a refresh finds deliveries in
 * another state than before (the webhook itself may have changed: failing since).
 */
export function deliveryLog(webhook, { onChange = () => {} } = {}) {
  const webhookId = webhook.webhook_id;
  let alive = true;
  let rows = [];
  let next = null; // the next page's cursor
  let pages = 1;
  let loading = false;
  let again = false;
  let soonTimers = [];

  const titleId = `webhook-log-title-${webhookId}`;
  const tbody = h("tbody", {});
  const message = h("p", { class: "list-message muted", "data-testid": "webhook-log-message" }, t("common.loading"));
  const updated = h("span", { class: "muted small", role: "status", "data-testid": "webhook-log-updated" });
  const refreshButton = h("button", { class: "btn btn-sm", type: "button", "data-action": "log-refresh", onclick: () => refresh() },
    icon("refresh", 15), h("span", {}, t("webhooks.refresh")));
  const moreButton = h("button", { class: "btn btn-sm", type: "button", "data-action": "log-more", hidden: true, onclick: () => more() },
    t("webhooks.more"));
  const columns = ["webhooks.col.event", "webhooks.col.status", "webhooks.col.attempts", "webhooks.col.code",
    "webhooks.col.error", "webhooks.col.next", "webhooks.col.created"];
  const el = h("section", { class: "webhook-log", id: `webhook-log-${webhookId}`, "aria-labelledby": titleId, "data-testid": "webhook-log" },
    h("header", { class: "webhook-log-head" },
      h("h3", { id: titleId }, t("webhooks.log")),
      h("div", { class: "webhook-log-refresh" }, updated, refreshButton)),
    h("div", { class: "table-scroll" },
      h("table", { class: "table webhook-log-table" },
        h("caption", { class: "sr-only" }, t("webhooks.logCaption", { url: webhook.url })),
        h("thead", {}, h("tr", {}, columns.map((key) => h("th", { scope: "col" }, t(key))),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("webhooks.col.actions"))))),
        tbody)),
    message,
    h("div", { class: "webhook-log-more" }, moreButton));

  function row(delivery) {
    const done = delivery.status === "delivered" || delivery.status === "failed";
    const label = eventLabel(delivery.event);
    return h("tr", { "data-delivery-id": delivery.delivery_id, "data-status": delivery.status, "data-testid": "delivery-row" },
      h("td", { class: "delivery-event" }, h("span", { class: "strong" }, label),
        h("code", { class: "webhook-event-code" }, delivery.event)),
      h("td", {}, h("span", { class: ["pill", `pill-delivery-${delivery.status}`], "data-testid": "delivery-status" },
        t(`webhooks.status.${delivery.status}`))),
      h("td", { class: "num", title: delivery.last_attempt_at ? t("webhooks.lastAttempt", { time: formatTime(delivery.last_attempt_at, { withSeconds: true }) }) : null },
        String(delivery.attempts ?? 0)),
      h("td", { class: "num", "data-testid": "delivery-code" }, delivery.last_status_code ?? t("common.none")),
      h("td", { class: "delivery-error", "data-testid": "delivery-error" }, delivery.last_error || t("common.none")),
      h("td", { class: "nowrap" }, delivery.next_attempt_at ? formatTime(delivery.next_attempt_at, { withSeconds: true }) : t("common.none")),
      h("td", { class: "nowrap" }, formatTime(delivery.created_at, { withSeconds: true })),
      h("td", {}, done
        ? h("div", { class: "row-actions" }, h("button", {
          class: "btn btn-sm", type: "button", "data-action": "redeliver", "data-delivery-id": delivery.delivery_id,
          "aria-label": t("webhooks.redeliverLabel", { event: label, time: formatTime(delivery.created_at, { withSeconds: true }) }), onclick: () => redeliver(delivery),
        }, icon("send", 14), h("span", {}, t("webhooks.redeliver"))))
        : null));
  }

  /** Rebuilt on every answer; the button that had the focus keeps it. */
  function paint() {
    const focused = document.activeElement;
    const keep = focused?.dataset?.deliveryId && el.contains(focused)
      ? `[data-delivery-id="${CSS.escape(focused.dataset.deliveryId)}"][data-action="${focused.dataset.action}"]` : null;
    tbody.replaceChildren(...rows.map(row));
    message.textContent = rows.length ? "" : t("webhooks.logEmpty");
    moreButton.hidden = !next;
    updated.textContent = t("webhooks.logUpdated", { time: formatTime(new Date().toISOString(), { withDate: false, withSeconds: true }) });
    if (keep && !focused.isConnected) el.querySelector(keep)?.focus();
  }

  const states = (list) => list.map((delivery) => `${delivery.delivery_id}:${delivery.status}`).join(",");

  /** The pages shown, again (one request per page, at most MAX_PAGES). */
  async function refresh() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    refreshButton.disabled = true;
    moreButton.disabled = true;
    try {
      const found = [];
      let cursor = null;
      let loaded = 0;
      do {
        const page = await api.webhookDeliveries(webhookId, cursor);
        found.push(...(page?.deliveries || []));
        cursor = page?.next_cursor || null;
        loaded += 1;
      } while (cursor && loaded < Math.min(pages, MAX_PAGES));
      if (!alive) return;
      const changed = rows.length > 0 && states(found) !== states(rows);
      rows = found;
      next = cursor;
      pages = loaded;
      paint();
      if (changed) onChange();
    } catch (error) {
      if (!alive) return;
      if (!rows.length) message.textContent = error.missingRoute ? t("common.unavailable", { message: `HTTP ${error.status}` }) : t("common.error", { message: error.message });
      updated.textContent = t("webhooks.logFailed", { message: error.message });
    } finally {
      loading = false;
      refreshButton.disabled = false;
      moreButton.disabled = false;
      if (again && alive) {
        again = false;
        refresh();
      }
    }
  }

  async function more() {
    if (!next || loading) return;
    loading = true;
    moreButton.disabled = true;
    try {
      const page = await api.webhookDeliveries(webhookId, next);
      if (!alive) return;
      const seen = new Set(rows.map((delivery) => delivery.delivery_id));
      rows = rows.concat((page?.deliveries || []).filter((delivery) => !seen.has(delivery.delivery_id)));
      next = page?.next_cursor || null;
      pages += 1;
      paint();
      if (!next) el.querySelector("tbody tr:last-child [data-action]")?.focus();
    } catch (error) {
      toastError(error);
    } finally {
      loading = false;
      moreButton.disabled = false;
      if (again && alive) {
        again = false;
        refresh();
      }
    }
  }

  /** Look again a few times soon (a test or a redelivery is usually sent within seconds). */
  function soon() {
    for (const timer of soonTimers) clearTimeout(timer);
    soonTimers = SOON_MS.map((ms) => setTimeout(refresh, ms));
  }

  async function redeliver(delivery) {
    try {
      await api.redeliver(webhookId, delivery.delivery_id);
      toast(t("webhooks.redelivered"), { kind: "success" });
    } catch (error) {
      if (error.code === "conflict") toast(t("webhooks.stillPending"), { kind: "info" });
      else toastError(error);
    }
    refresh();
    soon();
  }

  const timer = setInterval(refresh, LOG_REFRESH_MS);
  refresh();
  return {
    el,
    refresh,
    soon,
    destroy: () => {
      alive = false;
      clearInterval(timer);
      for (const soonTimer of soonTimers) clearTimeout(soonTimer);
    },
  };
}
