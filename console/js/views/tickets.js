// Tickets (R-TK-1): the list, and a ticket with its "chat history" tab (R-CON-7).

import { api } from "../api.js";
import { h } from "../dom.js";
import { formatTime, t } from "../i18n.js";
import { channelLabel } from "../ui/info.js";
import { toastError } from "../ui/toast.js";
import { transcript } from "../ui/transcript.js";
import { customerName } from "./chats.js";

export function render(container, params) {
  if (params.id) return renderTicket(container, params.id);
  return renderList(container);
}

function renderList(container) {
  const cursors = [null];
  let page = 0;
  let nextCursor = null;
  const tbody = h("tbody", {});
  const message = h("div", { class: "list-message muted" }, t("common.loading"));
  const prevButton = h("button", { class: "btn btn-sm", type: "button", onclick: () => turn(-1) }, t("history.prev"));
  const nextButton = h("button", { class: "btn btn-sm", type: "button", onclick: () => turn(1) }, t("history.next"));
  const pageLabel = h("span", { class: "muted small" });

  container.append(
    h("div", { class: "page" },
      h("header", { class: "page-head" }, h("h1", {}, t("tickets.title"))),
      h("div", { class: "card table-card" },
        h("table", { class: "table table-clickable", "data-testid": "tickets-table" },
          h("thead", {}, h("tr", {}, [t("tickets.subject"), t("tickets.customer"), t("tickets.channel"), t("tickets.status"),
            t("tickets.createdBy"), t("tickets.created")].map((label) => h("th", {}, label)))),
          tbody),
        message,
        h("div", { class: "pager" }, prevButton, pageLabel, nextButton))),
  );

  async function turn(step) {
    if (step > 0 && !nextCursor) return;
    if (step > 0) cursors[page + 1] = nextCursor;
    page = Math.max(0, page + step);
    await load();
  }

  async function load() {
    try {
      const result = await api.tickets(cursors[page] || "");
      nextCursor = result.next_cursor || null;
      const tickets = result.tickets || [];
      tbody.replaceChildren(...tickets.map((ticket) => {
        const href = `#/tickets/${encodeURIComponent(ticket.ticket_id)}`;
        return h("tr", { onclick: () => { location.hash = href; }, "data-ticket-id": ticket.ticket_id },
          h("td", { class: "strong" }, h("a", { href }, ticket.subject || t("common.none"))),
          h("td", {}, ticket.customer?.name || ticket.customer?.email || t("common.none")),
          h("td", {}, h("span", { class: "pill pill-info" }, channelLabel(ticket.channel))),
          h("td", {}, ticket.status || t("common.none")),
          h("td", {}, ticket.created_by_name || ticket.created_by?.name || (typeof ticket.created_by === "string" ? ticket.created_by : t("common.none"))),
          h("td", { class: "nowrap" }, formatTime(ticket.created_at)));
      }));
      message.textContent = tickets.length ? "" : t("tickets.empty");
    } catch (error) {
      message.textContent = error.missingRoute ? t("common.unavailable", { message: `HTTP ${error.status}` }) : t("common.error", { message: error.message });
    }
    pageLabel.textContent = t("history.page", { page: page + 1 });
    prevButton.disabled = page === 0;
    nextButton.disabled = !nextCursor;
  }

  load();
  return {};
}

function renderTicket(container, ticketId) {
  const body = h("div", { class: "tab-body" }, h("p", { class: "muted" }, t("common.loading")));
  const title = h("h1", {}, t("tickets.title"));
  const tabs = h("div", { class: "tabs", role: "tablist" });
  container.append(
    h("div", { class: "page page-medium" },
      h("a", { class: "back-link", href: "#/tickets" }, "← ", t("tickets.back")),
      h("header", { class: "page-head" }, title),
      tabs,
      h("div", { class: "card" }, body)),
  );

  let ticket = null;
  let chatHistory = null;

  const tabButton = (id, label) =>
    h("button", { class: "tab", type: "button", role: "tab", "data-tab": id, onclick: () => select(id) }, label);

  function select(id) {
    for (const tab of tabs.children) {
      const on = tab.dataset.tab === id;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", String(on));
    }
    if (id === "history") showHistory();
    else showDetails();
  }

  function showDetails() {
    const row = (label, value) => h("div", { class: "dl-row" }, h("dt", {}, label), h("dd", {}, value || t("common.none")));
    body.replaceChildren(
      h("dl", { class: "dl" },
        row(t("tickets.subject"), ticket.subject),
        row(t("tickets.channel"), channelLabel(ticket.channel)),
        row(t("tickets.status"), ticket.status),
        row(t("tickets.customer"), [ticket.customer?.name, ticket.customer?.email].filter(Boolean).join(" · ")),
        row(t("tickets.createdBy"), ticket.created_by_name || (typeof ticket.created_by === "string" ? ticket.created_by : ticket.created_by?.name)),
        row(t("tickets.created"), formatTime(ticket.created_at))),
      h("h2", { class: "section-title" }, t("ticket.body")),
      h("div", { class: "ticket-body" }, ticket.body || t("common.none")),
    );
  }

  async function showHistory() {
    body.replaceChildren(h("p", { class: "muted" }, t("common.loading")));
    try {
      chatHistory ||= await api.ticketChatHistory(ticketId);
    } catch (error) {
      body.replaceChildren(h("p", { class: "muted" }, error.status === 404 ? t("tickets.noChat") : t("common.error", { message: error.message })));
      return;
    }
    const chat = chatHistory.chat || {};
    const messages = transcript();
    messages.addAll(chatHistory.messages);
    // Internal notes among the messages, marked as notes (R-NOTE-1); a backend that
    // does not send them with the history is asked for them.
    if (!chatHistory.notes && chat.chat_id) {
      chatHistory.notes = await api.chatNotes(chat.chat_id).then((found) => found.notes || []).catch(() => []);
    }
    messages.addNotes(chatHistory.notes);
    body.replaceChildren(
      h("div", { class: "chat-history-head", "data-testid": "ticket-chat-history" },
        h("strong", {}, customerName(chat)),
        h("span", { class: "muted small" }, ` ${formatTime(chat.created_at)} · ${chat.operator_name || ""}`)),
      messages.el,
    );
  }

  api.ticket(ticketId)
    .then((found) => {
      ticket = found;
      title.textContent = ticket.subject || t("tickets.title");
      tabs.append(tabButton("details", t("tickets.tabDetails")));
      if (ticket.chat_id) tabs.append(tabButton("history", t("tickets.tabHistory")));
      select("details");
    })
    .catch((error) => {
      body.replaceChildren(h("p", { class: "muted" }, t("common.error", { message: error.message })));
      if (!error.missingRoute) toastError(error);
    });
  return {};
}

