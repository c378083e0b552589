// The chat screen (R-CON-3…9): my chats by customer name on the left, the open
// conversation in the middle, customer and inquiry info on the right.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatTime, t } from "../i18n.js";
import * as session from "../session.js";
import { newClientMsgId } from "../socket.js";
import * as store from "../store.js";
import { confirmDialog } from "../ui/dialog.js";
import { infoPanel } from "../ui/info.js";
import { createTicketFor } from "../ui/tickets.js";
import { toast, toastError } from "../ui/toast.js";
import { transcript } from "../ui/transcript.js";

const TYPING_SHOW_MS = 4000;
const TYPING_SEND_EVERY_MS = 2500;
const MAX_TEXT = 5000;

export function chatState(chat) {
  if (chat.status === "ended") return "ended";
  if (chat.customer_left_at) return "left";
  if (chat.status === "assigned") return "assigned";
  if (chat.status === "waiting") return "waiting";
  return "active";
}

export function statePill(chat) {
  const value = chatState(chat);
  return h("span", { class: ["pill", `pill-${value}`], "data-state": value }, t(`chat.state.${value}`));
}

export function customerName(chat) {
  return chat.customer?.name || t("chat.anonymous");
}

function initials(name) {
  return (name || "?").trim().slice(0, 1).toUpperCase();
}

export function render(container, params, { go }) {
  const cleanups = [];
  const listEl = h("ul", { class: "chat-list", "data-testid": "chat-list" });
  const queueEl = h("span", { class: "muted small" });
  // The screen's h1 heads the list; the open chat's name is its h2.
  const listPane = h(
    "nav",
    { class: "chat-list-pane", "aria-labelledby": "chat-list-title" },
    h("header", { class: "pane-head" }, h("h1", { id: "chat-list-title", class: "pane-title" }, t("chats.title")), queueEl),
    listEl,
  );
  const conversationPane = h("section", { class: "conversation-pane" });
  const infoPane = h("aside", { class: "info-pane", "aria-label": t("chats.infoPane") });
  container.append(h("div", { class: "chat-screen" }, listPane, conversationPane, infoPane));

  function renderList() {
    const chats = store.sortedChats();
    queueEl.textContent = store.state.waiting ? t("chats.waitingQueue", { count: store.state.waiting }) : "";
    if (!chats.length) {
      listEl.replaceChildren(h("li", { class: "chat-list-empty" }, t("chats.empty")));
      return;
    }
    listEl.replaceChildren(
      ...chats.map((chat) => {
        const name = customerName(chat);
        const last = chat.last_message;
        const unseen = store.state.unseen.has(chat.chat_id);
        return h(
          "li",
          {},
          h(
            "a",
            {
              class: ["chat-item", chat.chat_id === params.id && "active", unseen && "unseen"],
              href: `#/chats/${encodeURIComponent(chat.chat_id)}`,
              "data-chat-id": chat.chat_id,
              "aria-current": chat.chat_id === params.id ? "page" : null,
            },
            h("span", { class: "avatar", "aria-hidden": "true" }, initials(name)),
            h(
              "span",
              { class: "chat-item-body" },
              h("span", { class: "chat-item-top" }, h("span", { class: "chat-item-name", title: name }, name),
                unseen ? h("span", { class: "sr-only" }, t("chats.unseen")) : null,
                h("time", { class: "chat-item-time" }, formatTime(last?.created_at || chat.created_at, { withDate: false }))),
              h("span", { class: "chat-item-bottom" },
                h("span", { class: "chat-item-preview" }, last ? last.text : chat.customer?.email || ""),
                statePill(chat)),
            ),
          ),
        );
      }),
    );
  }

  renderList();
  cleanups.push(store.on("chats", renderList));

  let opened = null;
  if (params.id) {
    opened = openChat(params.id, { conversationPane, infoPane, go, cleanups });
  } else {
    conversationPane.append(h("div", { class: "empty-state" }, icon("chat", 40), h("p", {}, t("chats.select"))));
    infoPane.hidden = true;
  }

  return {
    isDirty: () => Boolean(opened?.isDirty()),
    destroy: () => {
      for (const cleanup of cleanups) cleanup();
    },
  };
}

function openChat(chatId, { conversationPane, infoPane, go, cleanups }) {
  const me = session.operator() || {};
  let chat = store.state.chats.get(chatId) || null;
  let info = null;
  let gone = false;
  const messages = transcript();
  const typingEl = h("div", { class: "typing", "data-testid": "typing", hidden: true });
  let typingTimer = null;
  let lastTypingSent = 0;

  const nameEl = h("h2", { class: "conv-name", "data-testid": "conversation-name" });
  const subEl = h("div", { class: "conv-sub muted small" });
  const pillEl = h("span", {});
  const ratingEl = h("span", { class: "rating-badge", "data-testid": "rating", hidden: true });
  const leftBanner = h("div", { class: "banner banner-warn", "data-testid": "customer-left", hidden: true }, t("chat.customerLeft"));

  const rateButton = h("button", { class: "btn", type: "button", title: t("chat.rateHelp"), "data-action": "rate" }, icon("star"), h("span", {}, t("chat.rate")));
  const ticketButton = h("button", { class: "btn", type: "button", "data-action": "ticket" }, icon("ticket"), h("span", {}, t("chat.createTicket")));
  const endButton = h("button", { class: "btn btn-danger-outline", type: "button", "data-action": "end" }, icon("end"), h("span", {}, t("chat.end")));

  const input = h("textarea", {
    class: "composer-input",
    rows: 2,
    placeholder: t("chat.composer"),
    "aria-label": t("chat.composer"),
    maxlength: MAX_TEXT,
  });
  const sendButton = h("button", { class: "btn btn-primary composer-send", type: "submit", "aria-label": t("chat.send") }, icon("send"), h("span", {}, t("chat.send")));
  const composer = h("form", { class: "composer" }, input, sendButton);

  conversationPane.append(
    h("header", { class: "conv-head" },
      h("div", { class: "conv-title" }, h("div", { class: "conv-name-row" }, nameEl, pillEl, ratingEl), subEl),
      h("div", { class: "conv-actions" }, rateButton, ticketButton, endButton)),
    leftBanner,
    messages.el,
    typingEl,
    composer,
  );

  function paintHeader() {
    if (!chat) return;
    nameEl.textContent = customerName(chat);
    nameEl.title = customerName(chat);
    subEl.textContent = [chat.customer?.email, `${t("history.started")}: ${formatTime(chat.created_at)}`].filter(Boolean).join(" · ");
    pillEl.replaceChildren(statePill(chat));
    const left = Boolean(chat.customer_left_at);
    leftBanner.hidden = !left;
    input.disabled = left;
    sendButton.disabled = left;
    rateButton.disabled = left;
    if (chat.rating) {
      ratingEl.hidden = false;
      ratingEl.textContent = `★ ${t("chat.rated", { score: chat.rating.score })}`;
      ratingEl.title = chat.rating.comment || "";
    }
  }

  function showTyping() {
    typingEl.textContent = t("chat.typing", { name: customerName(chat || {}) });
    typingEl.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typingEl.hidden = true; }, TYPING_SHOW_MS);
  }

  function leaveScreen(message) {
    gone = true;
    if (message) toast(message, { kind: "info" });
    go("#/chats");
  }

  async function load() {
    try {
      if (!chat) chat = await api.chat(chatId);
      if (chat.status === "ended" || (chat.operator_id && chat.operator_id !== me.operator_id && me.role !== "admin")) {
        conversationPane.replaceChildren(h("div", { class: "empty-state" }, h("p", {}, t("chats.select")), h("p", { class: "muted" }, t("chat.notFound"))));
        infoPane.hidden = true;
        return;
      }
      if (chat.status === "assigned") {
        chat = await api.openChat(chatId);
        store.putChat(chat);
      }
      store.seen(chatId);
      paintHeader();
      const tree = await store.categories().catch(() => []);
      info = infoPanel(chat, tree, {
        onSaved: (updated) => {
          chat = { ...chat, ...updated };
          store.putChat(chat);
          paintHeader();
        },
      });
      infoPane.replaceChildren(info.el);
      const history = await api.messages(chatId, 0);
      messages.addAll(history.messages);
      messages.scrollToEnd();
      if (!input.disabled) input.focus();
    } catch (error) {
      if (error.status === 404 || error.status === 403) {
        conversationPane.replaceChildren(h("div", { class: "empty-state" }, h("p", {}, t("chat.notFound"))));
        infoPane.hidden = true;
        return;
      }
      toastError(error);
    }
  }

  async function catchUp() {
    try {
      const missed = await api.messages(chatId, messages.lastSeq());
      messages.addAll(missed.messages);
    } catch {
      // The next event or reconnect tries again.
    }
  }

  async function send() {
    const text = input.value.trim();
    if (!text || !chat) return;
    if (text.length > MAX_TEXT) {
      toast(t("chat.tooLong"), { kind: "error" });
      return;
    }
    const clientMsgId = newClientMsgId();
    input.value = "";
    messages.addPending(clientMsgId, text, me.name);
    try {
      await store.state.socket.sendMessage(chatId, text, clientMsgId);
      // The pushed `message` normally replaces the pending one; make sure it does.
      setTimeout(catchUp, 1500);
    } catch (error) {
      if (error.code === "timeout") return; // still in the outbox; resent on reconnect
      messages.failed(clientMsgId);
      toast(error.message, { kind: "error" });
    }
  }

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; never while an IME is composing (Japanese input).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      send();
    }
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (input.value && now - lastTypingSent > TYPING_SEND_EVERY_MS) {
      lastTypingSent = now;
      store.state.socket?.typing(chatId);
    }
  });

  rateButton.addEventListener("click", async () => {
    rateButton.disabled = true;
    try {
      await api.requestRating(chatId);
      toast(t("chat.rateSent"), { kind: "success" });
    } catch (error) {
      toastError(error);
    } finally {
      rateButton.disabled = Boolean(chat?.customer_left_at);
    }
  });

  ticketButton.addEventListener("click", () => {
    if (chat) createTicketFor(chat).catch(toastError);
  });

  endButton.addEventListener("click", async () => {
    const dirty = Boolean(info?.isDirty());
    const ok = await confirmDialog({
      title: t("chat.endTitle"),
      message: t("chat.endBody"),
      detail: dirty ? t("chat.endDirty") : null,
      confirmLabel: dirty ? t("chat.endDirtyConfirm") : t("chat.end"),
      danger: true,
    });
    if (!ok) return;
    endButton.disabled = true;
    gone = true; // the pushed chat.ended may arrive before the reply
    try {
      await api.endChat(chatId);
      store.dropChat(chatId);
      leaveScreen(t("chat.ended"));
    } catch (error) {
      gone = false;
      endButton.disabled = false;
      toastError(error);
    }
  });

  cleanups.push(
    store.on("message", (message) => {
      if (message.chat_id !== chatId) return;
      messages.add(message);
      if (message.sender?.role === "customer") typingEl.hidden = true;
      if (message.seq > messages.lastSeq() + 1) catchUp();
    }),
    store.on("typing", (frame) => {
      if (frame.chat_id === chatId && frame.role === "customer") showTyping();
    }),
    store.on(`chat:${chatId}`, (updated) => {
      chat = { ...chat, ...updated };
      paintHeader();
    }),
    store.on("rated", (frame) => {
      if (frame.chat_id !== chatId) return;
      chat = { ...chat, rating: frame.rating };
      paintHeader();
      info?.showRating(frame.rating);
      toast(t("chat.ratedToast", { name: customerName(chat), score: frame.score }), { kind: "success" });
    }),
    store.on("ended", (endedId) => {
      if (endedId === chatId && !gone) leaveScreen(t("chat.endedElsewhere"));
    }),
    store.on("reconnected", catchUp),
    () => clearTimeout(typingTimer),
  );

  if (chat) paintHeader();
  load();
  return { isDirty: () => !gone && Boolean(info?.isDirty()) };
}
