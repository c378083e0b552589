// Admin: signed webhooks (R-HOOK-1). The service's webhooks, newest first, each
// with its URL, events, whether it is on (and why the server turned it off, when
// it did) and since when its deliveries fail; New webhook (the secret is shown
// once, after creation); per webhook: Edit, the on/off switch, Rotate secret (the
// new secret shown once), Send test (a `ping`), Delete, and its delivery log
// (ui/webhooklog.js), which keeps itself current while it is open.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatTime, t } from "../i18n.js";
import { confirmDialog, openDialog } from "../ui/dialog.js";
import { toast, toastError } from "../ui/toast.js";
import { eventPills, MAX_WEBHOOKS, notice, webhookForm } from "../ui/webhookform.js";
import { deliveryLog } from "../ui/webhooklog.js";
import { secretPanel } from "../ui/webhooksecret.js";

export function render(container) {
  let alive = true;
  let webhooks = [];
  let loaded = false;
  let creating = null; // the New webhook form while it is open
  let log = null; // {webhookId, ...deliveryLog} while a delivery log is open
  const secrets = new Map(); // webhook_id -> {secret, rotated}: shown once, until stored

  const list = h("div", { class: "webhook-list", "data-testid": "webhooks-list" });
  const message = h("p", { class: "list-message muted", role: "status", "data-testid": "webhooks-message" }, t("common.loading"));
  const count = h("p", { class: "muted small webhook-count", "data-testid": "webhooks-count" });
  const refreshButton = h("button", { class: "btn", type: "button", "data-action": "refresh", onclick: () => load() },
    icon("refresh"), h("span", {}, t("webhooks.refresh")));
  const newButton = h("button", { class: "btn btn-primary", type: "button", "data-action": "new-webhook", "aria-expanded": "false", onclick: () => openCreate() },
    icon("plus"), h("span", {}, t("webhooks.new")));
  const createCard = h("section", { class: "card webhook-create", "aria-labelledby": "webhook-new-title", "data-testid": "webhook-create", hidden: true });

  container.append(
    h("div", { class: "page webhooks-page" },
      h("header", { class: "page-head" },
        h("div", {}, h("h1", {}, t("webhooks.title")), h("p", { class: "muted" }, t("webhooks.intro"))),
        h("div", { class: "webhook-head-actions" }, refreshButton, newButton)),
      createCard,
      count,
      message,
      list),
  );

  // --- New webhook ----------------------------------------------------------------------

  function openCreate() {
    if (creating) {
      creating.focus();
      return;
    }
    creating = webhookForm({
      idPrefix: "webhook-new",
      submitLabel: t("webhooks.create"),
      cancel: closeCreate,
      submit: async (fields) => {
        const made = await api.createWebhook(fields);
        const { secret, ...webhook } = made || {};
        closeCreate({ focusButton: false });
        webhooks = [webhook, ...webhooks.filter((other) => other.webhook_id !== webhook.webhook_id)];
        if (secret) secrets.set(webhook.webhook_id, { secret, rotated: false });
        paint();
        toast(t("webhooks.created"), { kind: "success" });
        showSecret(webhook.webhook_id);
      },
    });
    createCard.replaceChildren(h("h2", { id: "webhook-new-title" }, t("webhooks.newTitle")), creating.el);
    createCard.hidden = false;
    newButton.setAttribute("aria-expanded", "true");
    creating.focus();
  }

  function closeCreate({ focusButton = true } = {}) {
    creating = null;
    createCard.hidden = true;
    createCard.replaceChildren();
    newButton.setAttribute("aria-expanded", "false");
    if (focusButton) newButton.focus();
  }

  function showSecret(webhookId) {
    const panel = list.querySelector(`[data-webhook-id="${CSS.escape(webhookId)}"] .webhook-secret`);
    if (!panel) return;
    panel.scrollIntoView({ block: "center" });
    panel.querySelector("h3")?.focus({ preventScroll: true });
  }

  // --- the list ---------------------------------------------------------------------------

  const actionLabel = (action, webhook) => t("webhooks.actionLabel", { action, url: webhook.url });

  function actionButton(action, label, webhook, run, { iconName, extra, pressed } = {}) {
    return h("button", {
      class: ["btn btn-sm", extra], type: "button", "data-action": action, "aria-label": actionLabel(label, webhook),
      "aria-expanded": pressed === undefined ? null : String(pressed),
      "aria-controls": pressed === undefined ? null : `webhook-log-${webhook.webhook_id}`,
      onclick: () => run(webhook),
    }, iconName ? icon(iconName, 15) : null, h("span", {}, label));
  }

  function card(webhook) {
    const id = webhook.webhook_id;
    const titleId = `webhook-title-${id}`;
    const enabled = Boolean(webhook.enabled);
    const stored = secrets.get(id);
    const logOpen = log?.webhookId === id;
    const toggle = h("input", {
      type: "checkbox", role: "switch", checked: enabled, "data-action": "toggle", "aria-describedby": titleId,
      onchange: (event) => setEnabled(webhook, event.target),
    });
    return h("article", { class: ["card webhook-card", !enabled && "webhook-off"], "data-webhook-id": id, "data-testid": "webhook", "aria-labelledby": titleId },
      h("header", { class: "webhook-head" },
        h("div", { class: "webhook-title" },
          h("h2", { class: "webhook-url", id: titleId, "data-testid": "webhook-url-text" }, webhook.url),
          h("p", { class: "muted small" }, t("webhooks.createdAt", { time: formatTime(webhook.created_at) }))),
        h("span", { class: ["pill", enabled ? "pill-ok" : "pill-off"], "data-testid": "webhook-state" },
          t(enabled ? "webhooks.stateEnabled" : "webhooks.stateDisabled"))),
      webhook.disabled_reason
        ? notice("danger",
          h("strong", {}, t("webhooks.disabledReason")), " ",
          h("span", { class: "webhook-reason", "data-testid": "webhook-disabled-reason" }, webhook.disabled_reason),
          h("p", { class: "help" }, t("webhooks.disabledHelp")))
        : null,
      webhook.failing_since
        ? notice("warn", h("span", { "data-testid": "webhook-failing" }, t("webhooks.failingSince", { time: formatTime(webhook.failing_since) })))
        : null,
      eventPills(webhook.events),
      stored
        ? secretPanel({
          webhookId: id, secret: stored.secret, rotated: stored.rotated,
          onDone: () => {
            secrets.delete(id);
            paint();
            list.querySelector(`[data-webhook-id="${CSS.escape(id)}"] [data-action="log"]`)?.focus();
          },
        }).el
        : null,
      h("div", { class: "webhook-actions" },
        h("label", { class: "toggle webhook-switch" }, toggle, h("span", {}, t("webhooks.enabledSwitch"))),
        actionButton("log", t("webhooks.log"), webhook, toggleLog, { iconName: "history", pressed: logOpen }),
        actionButton("test", t("webhooks.test"), webhook, sendTest, { iconName: "send" }),
        actionButton("edit", t("webhooks.edit"), webhook, edit, { iconName: "edit" }),
        actionButton("rotate", t("webhooks.rotate"), webhook, rotate, { iconName: "lock" }),
        actionButton("delete", t("webhooks.delete"), webhook, remove, { iconName: "trash", extra: "btn-danger-outline" })),
      logOpen ? log.el : null);
  }

  /** Rebuilt on every change; the control that had the focus keeps it. */
  function paint() {
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const owner = focused?.closest("[data-webhook-id]");
    const keep = owner && focused.dataset.action
      ? `[data-webhook-id="${CSS.escape(owner.dataset.webhookId)}"] [data-action="${focused.dataset.action}"]` : null;
    if (log && !webhooks.some((webhook) => webhook.webhook_id === log.webhookId)) closeLog();
    list.replaceChildren(...webhooks.map(card));
    message.textContent = loaded && !webhooks.length ? t("webhooks.empty") : "";
    count.textContent = webhooks.length ? t("webhooks.count", { count: webhooks.length, max: MAX_WEBHOOKS }) : "";
    if (focused && document.activeElement !== focused) {
      // The open log is moved into the new card as it is: what had the focus there keeps it.
      if (focused.isConnected) focused.focus({ preventScroll: true });
      else if (keep) list.querySelector(keep)?.focus({ preventScroll: true });
    }
  }

  let loading = null;
  async function load() {
    if (loading) return loading;
    refreshButton.disabled = true;
    loading = (async () => {
      try {
        const answer = await api.webhooks();
        if (!alive) return;
        const fresh = answer?.webhooks || [];
        const same = loaded && JSON.stringify(fresh) === JSON.stringify(webhooks);
        webhooks = fresh;
        loaded = true;
        if (!same) paint();
      } catch (error) {
        if (!alive) return;
        if (loaded) {
          toastError(error);
          return;
        }
        message.textContent = error.missingRoute ? t("common.unavailable", { message: `HTTP ${error.status}` }) : t("common.error", { message: error.message });
      } finally {
        refreshButton.disabled = false;
        loading = null;
      }
    })();
    return loading;
  }

  function replace(webhook) {
    webhooks = webhooks.map((other) => (other.webhook_id === webhook.webhook_id ? { ...other, ...webhook } : other));
    paint();
  }

  // --- per webhook --------------------------------------------------------------------------

  function openLog(webhook) {
    closeLog();
    log = { webhookId: webhook.webhook_id, ...deliveryLog(webhook, { onChange: () => load() }) };
  }

  function closeLog() {
    log?.destroy();
    log = null;
  }

  function toggleLog(webhook) {
    if (log?.webhookId === webhook.webhook_id) closeLog();
    else openLog(webhook);
    paint();
  }

  async function setEnabled(webhook, box) {
    const wanted = box.checked;
    box.disabled = true;
    try {
      replace(await api.updateWebhook(webhook.webhook_id, { enabled: wanted }));
      toast(t(wanted ? "webhooks.enabledNow" : "webhooks.disabledNow"), { kind: "success" });
    } catch (error) {
      box.checked = !wanted;
      toastError(error);
    } finally {
      box.disabled = false;
    }
  }

  async function sendTest(webhook) {
    try {
      await api.testWebhook(webhook.webhook_id);
      toast(t("webhooks.testSent"), { kind: "success" });
    } catch (error) {
      toastError(error);
      return;
    }
    if (log?.webhookId !== webhook.webhook_id) {
      openLog(webhook);
      paint();
    } else {
      log.refresh();
    }
    log.soon();
  }

  async function edit(webhook) {
    const saved = await openDialog((finish) => {
      const form = webhookForm({
        webhook,
        idPrefix: "webhook-edit",
        submitLabel: t("common.save"),
        cancel: () => finish(null),
        submit: async (fields) => finish(await api.updateWebhook(webhook.webhook_id, fields) || { ...webhook, ...fields }),
      });
      const titleId = "webhook-edit-title";
      const title = h("h2", { class: "dialog-title", id: titleId }, t("webhooks.editTitle"));
      queueMicrotask(() => title.parentElement?.setAttribute("aria-labelledby", titleId));
      setTimeout(() => form.focus(), 0);
      return [title, form.el];
    });
    if (!saved) return;
    replace(saved);
    toast(t("webhooks.saved"), { kind: "success" });
    list.querySelector(`[data-webhook-id="${CSS.escape(webhook.webhook_id)}"] [data-action="edit"]`)?.focus();
  }

  async function rotate(webhook) {
    const ok = await confirmDialog({
      title: t("webhooks.rotateTitle"),
      message: t("webhooks.rotateConfirm"),
      detail: webhook.url,
      confirmLabel: t("webhooks.rotate"),
      danger: true,
    });
    if (!ok) return;
    try {
      const { secret } = await api.rotateWebhookSecret(webhook.webhook_id);
      secrets.set(webhook.webhook_id, { secret, rotated: true });
      paint();
      showSecret(webhook.webhook_id);
    } catch (error) {
      toastError(error);
    }
  }

  async function remove(webhook) {
    const ok = await confirmDialog({
      title: t("webhooks.deleteTitle"),
      message: t("webhooks.deleteConfirm"),
      detail: webhook.url,
      confirmLabel: t("webhooks.delete"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.deleteWebhook(webhook.webhook_id);
      toast(t("webhooks.deleted"), { kind: "success" });
    } catch (error) {
      if (error.status !== 404) {
        toastError(error);
        return;
      }
      // Already deleted: it is gone either way.
    }
    secrets.delete(webhook.webhook_id);
    webhooks = webhooks.filter((other) => other.webhook_id !== webhook.webhook_id);
    paint();
    newButton.focus();
  }

  load();
  return {
    isDirty: () => Boolean(creating?.isDirty()),
    destroy: () => {
      alive = false;
      closeLog();
    },
  };
}
