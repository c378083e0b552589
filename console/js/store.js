// What every screen shares while signed in: my chats (kept live from the socket),
// the "in chat" count, the blinking icon, unread customer messages, my status, the
// category tree. Screens subscribe with `on(...)`; nothing here touches the DOM
// (alerts.js tells it which chat the operator is reading).

import { api } from "./api.js";
import * as session from "./session.js";
import { ConsoleSocket } from "./socket.js";

const bus = new EventTarget();

export const state = {
  chats: new Map(), // chat_id -> chat, my chats not yet ended by me
  waiting: 0, // customers queued in the service
  blinking: false, // a chat was assigned and not looked at yet
  unseen: new Set(), // chat ids assigned since the operator last looked
  status: "offline",
  categories: null,
  socket: null,
  reading: null, // the chat on screen while the tab is visible and focused (alerts.js says)
  readSeq: new Map(), // chat_id -> the last seq marked read from here
};

const MARK_READ_DELAY_MS = 400;
const markReadTimers = new Map(); // chat_id -> timer of the debounced POST /chats/{id}/read

export function on(type, handler) {
  const listener = (event) => handler(event.detail);
  bus.addEventListener(type, listener);
  return () => bus.removeEventListener(type, listener);
}

export function emit(type, detail) {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}

export function inChatCount() {
  return state.chats.size;
}

export function sortedChats() {
  const rank = (chat) => (chat.customer_left_at ? 2 : chat.status === "assigned" ? 0 : 1);
  return [...state.chats.values()].sort(
    (a, b) => rank(a) - rank(b) || String(a.created_at).localeCompare(String(b.created_at)),
  );
}

export function putChat(chat) {
  if (!chat || !chat.chat_id) return;
  if (chat.status === "ended") return dropChat(chat.chat_id);
  const before = state.chats.get(chat.chat_id);
  const merged = { ...before, ...chat };
  // Only GET /chats fills `last_message` and `unread`; other replies and frames say
  // null for them: keep what we know.
  if (chat.last_message == null) merged.last_message = before?.last_message ?? null;
  state.chats.set(chat.chat_id, withUnread(merged, before));
  emit("chats", state.chats);
  emit(`chat:${chat.chat_id}`, state.chats.get(chat.chat_id));
}

export function patchChat(chatId, fields) {
  const chat = state.chats.get(chatId);
  if (chat) putChat({ ...chat, ...fields });
}

export function dropChat(chatId) {
  state.unseen.delete(chatId);
  clearTimeout(markReadTimers.get(chatId));
  markReadTimers.delete(chatId);
  state.readSeq.delete(chatId);
  if (state.chats.delete(chatId)) {
    emit("chats", state.chats);
    emit("unread", totalUnread());
  }
  if (!state.unseen.size) setBlinking(false);
}

// --- unread customer messages (R-ALERT-1) -----------------------------------------------

/** Customer messages of this chat the operator has not seen. */
export function unreadCount(chatId) {
  return state.chats.get(chatId)?.unread || 0;
}

/** Unread customer messages in all my chats. */
export function totalUnread() {
  let total = 0;
  for (const chat of state.chats.values()) total += chat.unread || 0;
  return total;
}

/** What the tab title and the favicon count: unread customer messages, plus each
 * assigned chat not opened yet that has none (a new chat counts once). */
export function attentionCount() {
  let count = 0;
  for (const chat of state.chats.values()) count += chat.unread || (chat.status === "assigned" ? 1 : 0);
  return count;
}

function lastSeq(chat) {
  return Math.max(chat.last_seq || 0, chat.last_message?.seq || 0);
}

/** The operator has seen everything in this chat: unread 0 here at once, and
 * `POST /chats/{id}/read {seq}` shortly after (debounced, so a burst of messages
 * read on screen is one request). */
export function markRead(chatId) {
  const chat = state.chats.get(chatId);
  if (!chat) return;
  const seq = lastSeq(chat);
  const hadUnread = (chat.unread || 0) > 0;
  if (!hadUnread && seq <= (state.readSeq.get(chatId) || 0)) return;
  chat.unread = 0;
  state.readSeq.set(chatId, seq);
  if (hadUnread) {
    emit("unread", totalUnread());
    emit("chats", state.chats);
  }
  if (!seq) return;
  clearTimeout(markReadTimers.get(chatId));
  markReadTimers.set(chatId, setTimeout(() => {
    markReadTimers.delete(chatId);
    // Not sent: the next look at the chat sends it again.
    api.markRead(chatId, seq).catch(() => state.readSeq.delete(chatId));
  }, MARK_READ_DELAY_MS));
}

/** Which chat the operator is reading now (on screen, tab visible and focused), or
 * null; reading a chat marks it read. */
export function setReading(chatId) {
  state.reading = chatId || null;
  if (state.reading) markRead(state.reading);
}

export function isReading(chatId) {
  return Boolean(chatId) && state.reading === chatId;
}

/** The chat's operator answered: the server counts the chat as read, so do we. */
function answered(chat, seq) {
  state.readSeq.set(chat.chat_id, Math.max(seq, state.readSeq.get(chat.chat_id) || 0));
  if (!chat.unread) return;
  chat.unread = 0;
  emit("unread", totalUnread());
}

/** Mine: an operator's message sent by this operator (by id when the server names
 * it, else by name). */
export function isMine(message, me) {
  const sender = message?.sender;
  if (!sender || sender.role !== "operator" || !me) return false;
  return sender.operator_id ? sender.operator_id === me.operator_id : sender.name === me.name;
}

export function setBlinking(value) {
  if (state.blinking === value) return;
  state.blinking = value;
  emit("blink", value);
}

export function seen(chatId) {
  state.unseen.delete(chatId);
  if (!state.unseen.size) setBlinking(false);
  emit("chats", state.chats);
}

export function setStatus(status) {
  state.status = status;
  emit("status", status);
}

export async function refreshChats() {
  const result = await api.chats();
  const fresh = new Map((result.chats || []).map((chat) => [chat.chat_id, withUnread(chat, state.chats.get(chat.chat_id))]));
  state.chats = fresh;
  for (const id of [...state.readSeq.keys()]) if (!fresh.has(id)) state.readSeq.delete(id);
  for (const id of [...state.unseen]) if (!fresh.has(id)) state.unseen.delete(id);
  state.waiting = result.waiting || 0;
  if (state.reading) markRead(state.reading);
  emit("chats", state.chats);
  emit("unread", totalUnread());
  return result;
}

/** A chat from the server with its `unread` (the server's count, else what we had;
 * 0 when this tab has read past its last message and the read is not stored yet). */
function withUnread(chat, before) {
  let unread = chat.unread ?? before?.unread ?? 0;
  if (lastSeq(chat) <= (state.readSeq.get(chat.chat_id) || 0)) unread = 0;
  return { ...chat, unread };
}

export async function categories({ reload = false } = {}) {
  if (!state.categories || reload) {
    state.categories = (await api.categories()).categories || [];
  }
  return state.categories;
}

// --- transfers (R-TR-1) and the service's name (canned responses' {{service.name}}) ----

/** chat_id -> {from, name, note}: chats handed over to me, from the `chat.assigned`
 * that brought them (the chat view's "Transferred from …" banner). */
export const transfers = new Map();
let serviceNameValue = "";

export function setServiceName(value) {
  serviceNameValue = value || "";
}

export function serviceName() {
  return serviceNameValue;
}

// --- files in chats (R-ATT-1) --------------------------------------------------------

/** The service's `attachments` setting {enabled, max_bytes, types}, when the console
 * knows it (GET /me names it; an admin's saved settings update it), else null: the
 * server checks every file anyway. */
let attachmentLimitsValue = null;

export function setAttachmentLimits(value) {
  attachmentLimitsValue = value && typeof value === "object" ? value : null;
}

export function attachmentLimits() {
  return attachmentLimitsValue;
}

/** `visitor.page {chat_id, page: {url, title, at}}` (API.md also names the page's
 * fields flat on the frame): the page, or null without a URL. */
export function visitorPage(frame) {
  const page = frame?.page && typeof frame.page === "object" ? frame.page : frame;
  if (!page || typeof page.url !== "string" || !page.url) return null;
  return {
    url: page.url,
    title: typeof page.title === "string" ? page.title : null,
    at: page.at || new Date().toISOString(),
  };
}

/** Start the socket and route its events into the store. */
export function connect() {
  if (state.socket) return state.socket;
  const socket = new ConsoleSocket();
  state.socket = socket;
  socket.on("state", (value) => emit("connection", value));
  socket.on("open", ({ reconnected }) => {
    // Anything may have happened while we were away: take the list from the server.
    refreshChats().catch(() => {});
    if (reconnected) emit("reconnected");
  });
  socket.on("chat.assigned", ({ chat, transferred_from: transferredFrom, transferred_from_name: fromName, note }) => {
    if (!chat) return;
    const isNew = !state.chats.has(chat.chat_id);
    putChat(chat);
    if (isNew) {
      state.unseen.add(chat.chat_id);
      setBlinking(true);
      emit("assigned", chat);
      emit("unread", totalUnread());
      // A chat new to me (handed over when `transferred_from` is set): alerts.js.
      emit("alert", { kind: "assigned", chat: state.chats.get(chat.chat_id), transferredFrom, fromName, note });
    }
  });
  socket.on("chat.customer_left", ({ chat_id: chatId }) => {
    patchChat(chatId, { customer_left_at: new Date().toISOString() });
    emit("customer_left", chatId);
  });
  socket.on("chat.ended", ({ chat_id: chatId }) => {
    dropChat(chatId);
    emit("ended", chatId);
  });
  socket.on("chat.rated", (frame) => {
    const rating = { score: frame.score, comment: frame.comment, rated_at: new Date().toISOString() };
    patchChat(frame.chat_id, { rating });
    emit("rated", { ...frame, rating });
  });
  socket.on("message", ({ message }) => {
    if (!message) return;
    const chat = state.chats.get(message.chat_id);
    const isNew = Boolean(chat) && message.seq > (chat.last_seq || 0);
    if (isNew) {
      chat.last_seq = message.seq;
      chat.last_message = message;
    }
    emit("message", message);
    if (isNew && message.sender?.role === "customer") {
      if (isReading(chat.chat_id)) {
        markRead(chat.chat_id);
      } else {
        chat.unread = (chat.unread || 0) + 1;
        emit("unread", totalUnread());
        emit("alert", { kind: "message", chat, message });
      }
    } else if (isNew && message.sender?.role === "operator") {
      answered(chat, message.seq);
    }
    if (chat) emit("chats", state.chats);
  });
  // My own message, sent from this tab (the server pushes it to my other tabs only).
  socket.on("message.sent", (sent) => {
    const chat = state.chats.get(sent.chat_id);
    if (!chat || !(sent.seq > (chat.last_seq || 0))) return;
    const me = session.operator() || {};
    chat.last_seq = sent.seq;
    chat.last_message = {
      chat_id: sent.chat_id, seq: sent.seq, text: sent.text || "", client_msg_id: sent.client_msg_id,
      attachment: sent.attachment || null,
      sender: { role: "operator", name: me.name, operator_id: me.operator_id }, created_at: new Date().toISOString(),
    };
    answered(chat, sent.seq);
    emit("chats", state.chats);
  });
  // Offline-message tickets (R-OFF-1): every online operator hears of them. The
  // tickets screen keeps its queue live from both frames ("ticket" events).
  socket.on("ticket.created", ({ ticket }) => {
    if (!ticket) return;
    emit("alert", { kind: "ticket", ticket });
    emit("ticket", { kind: "created", ticket });
  });
  socket.on("ticket.updated", ({ ticket }) => {
    if (ticket) emit("ticket", { kind: "updated", ticket });
  });
  socket.on("typing", (frame) => emit("typing", frame));
  // Visitor context (R-VIS-1): the customer opened another page of the host site.
  socket.on("visitor.page", (frame) => {
    const page = visitorPage(frame);
    if (frame.chat_id && page) emit("visitor.page", { chat_id: frame.chat_id, page });
  });
  // Internal notes (R-NOTE-1) and transfers (R-TR-1).
  socket.on("note", ({ note }) => {
    if (note) emit("note", note);
  });
  socket.on("chat.assigned", ({ chat, transferred_from: from, transferred_from_name: fromName, note }) => {
    if (!chat || !from) return;
    transfers.set(chat.chat_id, { from, name: fromName || null, note: note || null });
    emit("transferred", chat.chat_id);
  });
  socket.on("chat.unassigned", ({ chat_id: chatId }) => {
    if (!chatId) return;
    transfers.delete(chatId);
    dropChat(chatId);
    emit("unassigned", chatId);
  });
  socket.start();
  return socket;
}

export function disconnect() {
  state.socket?.stop();
  state.socket = null;
  state.chats = new Map();
  state.unseen.clear();
  state.blinking = false;
  state.categories = null;
  transfers.clear();
  attachmentLimitsValue = null;
  state.waiting = 0;
  state.reading = null;
  state.readSeq.clear();
  for (const timer of markReadTimers.values()) clearTimeout(timer);
  markReadTimers.clear();
  emit("unread", 0);
}
