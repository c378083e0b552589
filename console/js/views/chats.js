// The chat screen (R-CON-3…9): my chats by customer name on the left, the open
// conversation in the middle, customer and inquiry info on the right.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatTime, t } from "../i18n.js";
import * as session from "../session.js";
import { newClientMsgId } from "../socket.js";
import * as store from "../store.js";
import { confirmDialog } from "../ui/dialog.js";
import { attacher } from "../ui/attach.js";
import { blockDialog } from "../ui/block.js";
import { infoPanel } from "../ui/info.js";
import { cannedPicker } from "../ui/picker.js";
import { createTicketFor } from "../ui/tickets.js";
import { toast, toastError } from "../ui/toast.js";
import { transcript } from "../ui/transcript.js";
import { transferDialog } from "../ui/transfer.js";
import { visitorPanel } from "../ui/visitor.js";

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
  // Focusable: a keyboard scrolls it also when nothing in it is (a read-only chat).
  const infoPane = h("aside", { class: "info-pane", "aria-label": t("chats.infoPane"), tabindex: 0 });
  container.append(h("div", { class: "chat-screen" }, listPane, conversationPane, infoPane));

  function renderList() {
    const chats = store.sortedChats();
    queueEl.textContent = store.state.waiting ? t("chats.waitingQueue", { count: store.state.waiting }) : "";
    if (!chats.length) {
      listEl.replaceChildren(h("li", { class: "chat-list-empty" }, t("chats.empty")));
      return;
    }
    const me = session.operator();
    listEl.replaceChildren(
      ...chats.map((chat) => {
        const name = customerName(chat);
        const last = chat.last_message;
        const unseen = store.state.unseen.has(chat.chat_id);
        // The last message on one line ("You: …" for mine) and the unread count (R-ALERT-1).
        const lastText = last ? last.text || last.attachment?.filename || "" : "";
        const preview = last ? (store.isMine(last, me) ? t("chats.fromYou", { text: lastText }) : lastText) : chat.customer?.email || "";
        const unread = store.unreadCount(chat.chat_id);
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
                h("span", { class: ["chat-item-preview", unread && "has-unread"], title: preview || null }, preview),
                unread
                  ? h("span", { class: "unread-badge", "data-testid": "unread-badge", "data-count": unread },
                    h("span", { "aria-hidden": "true" }, unread > 99 ? "99+" : String(unread)),
                    h("span", { class: "sr-only" }, t("chats.unread", { count: unread })))
                  : null,
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
  let tree = [];
  let gone = false;
  let closed = false; // the operator has left this screen (e.g. for History) meanwhile
  cleanups.push(() => { closed = true; });
  let moved = false; // transferred away from me (or back to the queue): read-only now
  let noteBusy = false;
  let transferring = false; // my own transfer request is under way
  let movedMeanwhile = false; // `chat.unassigned` came while it was
  let closeTransfer = null;
  let blocking = false; // my block request is under way (its chat.ended is expected)
  let endedMeanwhile = false; // `chat.ended` came while it was
  let closeBlock = null;
  let visitor = null; // the visitor panel (R-VIS-1), once GET /chats/{id} answered
  const earlyPages = []; // `visitor.page` frames that came before it
  const messages = transcript({ chatId });
  const typingEl = h("div", { class: "typing", "data-testid": "typing", hidden: true });
  let typingTimer = null;
  let lastTypingSent = 0;

  const nameEl = h("h2", { class: "conv-name", "data-testid": "conversation-name" });
  const subEl = h("div", { class: "conv-sub muted small" });
  const pillEl = h("span", {});
  const ratingEl = h("span", { class: "rating-badge", "data-testid": "rating", hidden: true });
  const leftBanner = h("div", { class: "banner banner-warn", "data-testid": "customer-left", hidden: true }, t("chat.customerLeft"));
  // Transfers (R-TR-1): the chat moved away from me, or came to me from someone.
  const movedBanner = h("div", { class: "banner banner-warn banner-moved", "data-testid": "chat-moved", role: "status", hidden: true },
    icon("transfer", 16), h("span", {}, t("transfer.moved")),
    h("a", { class: "banner-link", href: "#/chats" }, t("transfer.backToList")));
  const transferBanner = h("div", { class: "banner banner-transfer", "data-testid": "transferred-from", hidden: true });

  const rateButton = h("button", { class: "btn", type: "button", title: t("chat.rateHelp"), "data-action": "rate" }, icon("star"), h("span", {}, t("chat.rate")));
  const ticketButton = h("button", { class: "btn", type: "button", "data-action": "ticket" }, icon("ticket"), h("span", {}, t("chat.createTicket")));
  const endButton = h("button", { class: "btn btn-danger-outline", type: "button", "data-action": "end" }, icon("end"), h("span", {}, t("chat.end")));
  const transferButton = h("button", { class: "btn", type: "button", "data-action": "transfer", hidden: true }, icon("transfer"), h("span", {}, t("transfer.button")));
  const blockButton = h("button", { class: "btn btn-danger-outline", type: "button", "data-action": "block", hidden: true, title: t("block.buttonHelp") },
    icon("block"), h("span", {}, t("block.button")));

  // The reply box writes a reply or an internal note (R-NOTE-1): a draft each, and in
  // note mode it looks and says that only operators will see it.
  let mode = "reply";
  const drafts = { reply: "", note: "" };
  const input = h("textarea", {
    class: "composer-input",
    rows: 2,
    placeholder: t("chat.composer"),
    "aria-label": t("composer.reply"),
    maxlength: MAX_TEXT,
  });
  const sendLabel = h("span", {}, t("chat.send"));
  const sendButton = h("button", { class: "btn btn-primary composer-send", type: "submit", "data-action": "send" }, icon("send"), sendLabel);
  const modeButton = (value, iconName, label) => h("button", {
    class: "composer-mode", type: "button", "data-mode": value, "aria-pressed": String(value === mode), onclick: () => setMode(value),
  }, icon(iconName, 16), h("span", {}, label));
  const replyMode = modeButton("reply", "chat", t("composer.reply"));
  const noteMode = modeButton("note", "note", t("composer.note"));
  const noteHint = h("p", { class: "composer-note-hint", id: "composer-note-hint", hidden: true }, icon("lock", 14), h("span", {}, t("composer.noteHint")));
  // Canned responses (R-CAN-1): `/` in a reply opens the picker. Attached before the
  // box's own keydown listener, so the keys it takes never send.
  const picker = cannedPicker(input, {
    load: () => api.cannedResponses().then((result) => result.canned_responses || []),
    values: () => ({
      "customer.name": chat?.customer?.name || t("canned.customerFallback"),
      "operator.name": me.name || "",
      "service.name": store.serviceName(),
    }),
    enabled: () => mode === "reply" && !input.disabled,
  });
  // Files (R-ATT-1): the paperclip, a drop on the conversation, a pasted image; the
  // file waits above the box for the next Send. Replies only: notes carry no files.
  let waitingForUpload = false;
  const files = attacher({ chatId, dropZone: conversationPane, input, enabled: () => mode === "reply" && !input.disabled });
  const composer = h("form", { class: "composer", "data-mode": mode },
    h("div", { class: "composer-bar" },
      h("div", { class: "composer-modes", role: "group", "aria-label": t("composer.mode") }, replyMode, noteMode),
      noteHint),
    files.el,
    h("div", { class: "composer-row" }, files.button, input, sendButton),
    picker.el,
    picker.status);

  conversationPane.append(
    h("header", { class: "conv-head" },
      h("div", { class: "conv-title" }, h("div", { class: "conv-name-row" }, nameEl, pillEl, ratingEl), subEl),
      h("div", { class: "conv-actions" }, rateButton, ticketButton, transferButton, blockButton, endButton)),
    leftBanner,
    movedBanner,
    transferBanner,
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
    paintComposer();
    rateButton.disabled = left || moved;
    endButton.disabled = moved;
    transferButton.hidden = !canTransfer();
    blockButton.hidden = !canBlock();
    if (chat.rating) {
      ratingEl.hidden = false;
      ratingEl.textContent = `★ ${t("chat.rated", { score: chat.rating.score })}`;
      ratingEl.title = chat.rating.comment || "";
    }
  }

  /** Only the operator holding the chat, or an admin, hands it over; not once it ended. */
  function canTransfer() {
    return Boolean(chat) && !moved && chat.status !== "ended"
      && (chat.operator_id === me.operator_id || me.role === "admin");
  }

  /** The chat's operator blocks its visitor, an admin any chat's (R-BLK-1). */
  function canBlock() {
    return Boolean(chat) && !moved && chat.status !== "ended"
      && (chat.operator_id === me.operator_id || me.role === "admin");
  }

  /** The customer panel: info and inquiry, with the visitor's context. */
  function showInfo(options) {
    info = infoPanel(chat, tree, { onErased: afterErasure, ...options, extra: visitor?.el || null });
    infoPane.replaceChildren(info.el);
  }

  /** An admin erased the customer's data from the panel (R-PRIV-2): the chat list (its
   * names and last messages) and this chat (panel, visitor, transcript) afresh. */
  async function afterErasure() {
    await store.refreshChats().catch(() => {});
    if (!gone && !closed) go(`#/chats/${encodeURIComponent(chatId)}`);
  }

  function paintComposer() {
    const note = mode === "note";
    composer.dataset.mode = mode;
    composer.classList.toggle("composer-note", note);
    replyMode.setAttribute("aria-pressed", String(!note));
    noteMode.setAttribute("aria-pressed", String(note));
    noteHint.hidden = !note;
    input.placeholder = note ? t("composer.notePlaceholder") : t("chat.composer");
    input.setAttribute("aria-label", note ? t("composer.note") : t("composer.reply"));
    if (note) input.setAttribute("aria-describedby", noteHint.id);
    else input.removeAttribute("aria-describedby");
    sendLabel.textContent = note ? t("composer.addNote") : t("chat.send");
    // A note can be written on any chat, also after the customer left or it moved.
    input.disabled = !note && (Boolean(chat?.customer_left_at) || moved);
    sendButton.disabled = input.disabled || (note && noteBusy) || (!note && waitingForUpload);
    files.setVisible(!note);
    files.setDisabled(input.disabled);
  }

  function setMode(next) {
    if (next === mode) return;
    drafts[mode] = input.value;
    mode = next;
    input.value = drafts[mode];
    picker.close();
    paintComposer();
    if (!input.disabled) input.focus();
  }

  const teamNames = (() => {
    let names = null;
    return () => {
      names ||= api.team()
        .then((result) => new Map((result.operators || []).map((op) => [op.operator_id, op.name || op.email])))
        .catch(() => new Map());
      return names;
    };
  })();

  /** "Transferred to you from …" with the handover note, on a chat handed to me. */
  async function paintTransfer() {
    const handed = store.transfers.get(chatId);
    const from = handed?.from || chat?.transferred_from;
    if (!from || moved || (chat?.operator_id && chat.operator_id !== me.operator_id)) {
      transferBanner.hidden = true;
      return;
    }
    const fromName = handed?.name || (await teamNames()).get(from) || t("transfer.someone");
    const handover = typeof handed?.note === "string" ? handed.note : handed?.note?.text;
    transferBanner.replaceChildren(
      h("div", { class: "banner-transfer-head" }, icon("transfer", 16), h("strong", {}, t("transfer.from", { name: fromName }))),
      handover
        ? h("div", { class: "handover", "data-testid": "handover-note" },
          h("span", { class: "handover-label" }, icon("note", 14), h("span", {}, t("transfer.handover"))),
          h("p", { class: "handover-text" }, handover))
        : null,
    );
    transferBanner.hidden = false;
  }

  /** The chat was moved away from me: say so, and nothing but notes can be written. */
  function markMoved(message) {
    if (moved || gone) return;
    moved = true;
    closeTransfer?.();
    closeBlock?.();
    picker.close();
    movedBanner.hidden = false;
    transferBanner.hidden = true;
    if (chat && info) showInfo({ editable: false });
    paintHeader();
    toast(message || t("transfer.movedToast", { name: customerName(chat || {}) }), { kind: "info", timeout: 8000 });
  }

  async function loadNotes() {
    try {
      messages.addNotes((await api.chatNotes(chatId)).notes);
    } catch (error) {
      if (!error.missingRoute) toastError(error);
    }
  }

  function showTyping() {
    typingEl.textContent = t("chat.typing", { name: customerName(chat || {}) });
    typingEl.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typingEl.hidden = true; }, TYPING_SHOW_MS);
  }

  function leaveScreen(message, kind = "info") {
    gone = true;
    if (message) toast(message, { kind });
    // A reply that comes after the operator moved on never pulls them back.
    if (!closed) go("#/chats");
  }

  async function load() {
    try {
      if (!chat) chat = await api.chat(chatId);
      if (chat.status === "ended" || (chat.operator_id && chat.operator_id !== me.operator_id && me.role !== "admin")) {
        conversationPane.replaceChildren(h("div", { class: "empty-state" }, h("p", {}, t("chats.select")), h("p", { class: "muted" }, t("chat.notFound"))));
        infoPane.hidden = true;
        return;
      }
      // The chat list's copy has no visitor context: ask for the chat itself.
      const full = chat.visitor === undefined ? api.chat(chatId).catch(() => null) : Promise.resolve(chat);
      if (chat.status === "assigned") {
        chat = await api.openChat(chatId);
        store.putChat(chat);
      }
      const fetched = await full;
      if (fetched?.visitor !== undefined) chat = { ...chat, visitor: fetched.visitor };
      visitor = visitorPanel(chat.visitor || null, { customerId: chat.customer?.customer_id });
      for (const page of earlyPages.splice(0)) visitor.addPage(page);
      store.seen(chatId);
      paintHeader();
      paintTransfer();
      tree = await store.categories().catch(() => []);
      showInfo({
        onSaved: (updated) => {
          chat = { ...chat, ...updated };
          store.putChat(chat);
          paintHeader();
        },
      });
      const [history] = await Promise.all([api.messages(chatId, 0), loadNotes()]);
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
    if (waitingForUpload || !chat) return;
    if (files.uploading()) {
      // Send pressed while the file is still going up: it goes when the upload is done
      // (the text stays in the box if the upload fails or is cancelled).
      waitingForUpload = true;
      paintComposer();
      const ready = await files.settled();
      waitingForUpload = false;
      paintComposer();
      if (!ready || gone || moved) return;
    }
    const text = input.value.trim();
    if (!text && !files.hasFile()) return;
    if (text.length > MAX_TEXT) {
      toast(t("chat.tooLong"), { kind: "error" });
      return;
    }
    const attachment = files.take();
    if (!text && !attachment) return;
    const clientMsgId = newClientMsgId();
    input.value = "";
    files.clearProblem();
    messages.addPending(clientMsgId, text, me.name, attachment);
    try {
      await store.state.socket.sendMessage(chatId, text, clientMsgId, attachment);
      // The sender's own message is not pushed back to it: fetch the stored one (with
      // its file's links) so it replaces the pending one.
      if (attachment) catchUp();
      setTimeout(catchUp, 1500);
    } catch (error) {
      if (error.code === "timeout") return; // still in the outbox; resent on reconnect
      messages.failed(clientMsgId);
      // A refused file is deleted by the server: it has to be attached again.
      if (attachment) files.showProblem(error.message);
      else toast(error.message, { kind: "error" });
    }
  }

  async function addNote() {
    const text = input.value.trim();
    if (!text || noteBusy) return;
    if (text.length > MAX_TEXT) {
      toast(t("note.tooLong"), { kind: "error" });
      return;
    }
    noteBusy = true;
    paintComposer();
    try {
      const note = await api.addNote(chatId, text);
      messages.addNote(note);
      messages.scrollToEnd();
      if (mode === "note" && input.value.trim() === text) input.value = "";
      else if (drafts.note.trim() === text) drafts.note = "";
    } catch (error) {
      toastError(error); // the text stays, to try again
    } finally {
      noteBusy = false;
      paintComposer();
      if (mode === "note") input.focus();
    }
  }

  function submit() {
    if (mode === "note") addNote();
    else send();
  }

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; never while an IME is composing (Japanese
    // input), nor when the canned-response picker took the key.
    if (event.defaultPrevented) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    // The customer sees "typing…" for replies, never for notes.
    if (input.value && mode === "reply" && now - lastTypingSent > TYPING_SEND_EVERY_MS) {
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

  transferButton.addEventListener("click", async () => {
    if (!chat || !canTransfer()) return;
    const result = await transferDialog(chat, {
      onOpen: (close) => { closeTransfer = close; },
      onSubmitting: (value) => {
        transferring = value;
        // Moved by someone else while my request was under way, and mine did not go through.
        if (!value && movedMeanwhile) {
          movedMeanwhile = false;
          setTimeout(() => { if (!gone) markMoved(); }, 0);
        }
      },
    });
    closeTransfer = null;
    if (!result) return;
    const name = customerName(chat);
    if (result.done) {
      gone = true;
      store.dropChat(chatId);
      const operator = result.operator?.name || result.chat?.operator_name || t("transfer.someone");
      leaveScreen(result.queued ? t("transfer.queued", { name }) : t("transfer.done", { name, operator }), "success");
    } else if (result.code === "chat_ended") {
      gone = true;
      store.dropChat(chatId);
      leaveScreen(result.message);
    } else {
      markMoved(result.message);
    }
  });

  blockButton.addEventListener("click", async () => {
    if (!chat || !canBlock()) return;
    const made = await blockDialog(chat, {
      onOpen: (close) => { closeBlock = close; },
      onSubmitting: (value) => {
        blocking = value;
        // Ended by someone else while my request was under way, and mine did not go through.
        if (!value && endedMeanwhile && !gone) {
          endedMeanwhile = false;
          setTimeout(() => { if (!gone) leaveScreen(t("chat.endedElsewhere")); }, 0);
        }
      },
    });
    closeBlock = null;
    if (!made || gone) return;
    gone = true;
    store.dropChat(chatId);
    leaveScreen(t("block.done", { name: customerName(chat), until: formatTime(made.until) }), "success");
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
      if (endedId !== chatId || gone) return;
      if (blocking) endedMeanwhile = true; // my block ended it: the dialog says so
      else leaveScreen(t("chat.endedElsewhere"));
    }),
    store.on("visitor.page", ({ chat_id: pageChat, page }) => {
      if (pageChat !== chatId) return;
      if (visitor) visitor.addPage(page);
      else earlyPages.push(page);
    }),
    store.on("reconnected", () => {
      catchUp();
      loadNotes();
      // Pages opened while the socket was down.
      if (visitor) api.chat(chatId).then((fresh) => visitor?.update(fresh?.visitor)).catch(() => {});
    }),
    store.on("note", (note) => {
      if (note.chat_id === chatId) messages.addNote(note);
    }),
    store.on("unassigned", (movedId) => {
      if (movedId !== chatId || gone) return;
      if (transferring) movedMeanwhile = true;
      else markMoved();
    }),
    store.on("transferred", (handedId) => {
      if (handedId !== chatId) return;
      if (moved) go(`#/chats/${encodeURIComponent(chatId)}`); // back to me: start afresh
      else paintTransfer();
    }),
    () => closeBlock?.(),
    () => picker.destroy(),
    () => files.destroy(),
    () => clearTimeout(typingTimer),
  );

  if (chat) paintHeader();
  load();
  return { isDirty: () => !gone && !moved && Boolean(info?.isDirty()) };
}
