// The local stack's outbox: the mail the backend "sent" (ticket replies, chat
// transcripts) kept by the local stack instead of going out through SES, newest
// first. Only the local stack serves GET /local/outbox (without a token); the
// console links it only when it runs on a loopback host.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatTime, t } from "../i18n.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The console runs on this computer (the local stack), where the outbox exists. */
export function available(hostname = location.hostname) {
  return LOOPBACK.has(hostname);
}

function newestFirst(messages) {
  return [...(messages || [])].sort((a, b) => String(b.sent_at || "").localeCompare(String(a.sent_at || "")));
}

export function render(container) {
  const list = h("ol", { class: "outbox-list", "data-testid": "outbox-list", "aria-label": t("outbox.title") });
  const message = h("p", { class: "outbox-count muted", role: "status" }, t("common.loading"));
  const refreshButton = h("button", { class: "btn", type: "button", "data-action": "refresh", onclick: load },
    icon("refresh"), h("span", {}, t("outbox.refresh")));

  container.append(
    h("div", { class: "page page-medium" },
      h("header", { class: "page-head" },
        h("div", {}, h("h1", {}, t("outbox.title")), h("p", { class: "muted" }, t("outbox.intro"))),
        refreshButton),
      message,
      list),
  );

  const meta = (label, value) => h("div", { class: "dl-row" }, h("dt", {}, label), h("dd", {}, value || t("common.none")));

  function item(mail) {
    const to = Array.isArray(mail.to) ? mail.to.join(", ") : mail.to;
    return h("li", { class: "card outbox-message", "data-testid": "outbox-message", "data-message-id": mail.message_id || "" },
      h("h2", { class: "outbox-subject" }, mail.subject || t("outbox.noSubject")),
      h("dl", { class: "dl outbox-meta" },
        meta(t("outbox.to"), to),
        meta(t("outbox.from"), mail.from),
        meta(t("outbox.sent"), h("time", { datetime: mail.sent_at || "" }, formatTime(mail.sent_at)))),
      h("pre", { class: "outbox-text" }, mail.text ?? ""));
  }

  async function load() {
    refreshButton.disabled = true;
    message.hidden = false;
    message.textContent = t("common.loading");
    try {
      const { messages } = await api.localOutbox();
      const sorted = newestFirst(messages);
      list.replaceChildren(...sorted.map(item));
      message.textContent = sorted.length ? t("outbox.count", { count: sorted.length }) : t("outbox.empty");
    } catch (error) {
      list.replaceChildren();
      message.textContent = error.status === 404
        ? t("outbox.unavailable")
        : t("common.error", { message: error.message });
    } finally {
      refreshButton.disabled = false;
    }
  }

  load();
  return {};
}
