// What every screen shares while signed in: my chats (kept live from the socket),
// the "in chat" count, the blinking icon, my status, the category tree.
// Screens subscribe with `on(...)`; nothing here touches the DOM.

import { api } from "./api.js";
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
};

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
  state.chats.set(chat.chat_id, { ...before, ...chat });
  emit("chats", state.chats);
  emit(`chat:${chat.chat_id}`, state.chats.get(chat.chat_id));
}

export function patchChat(chatId, fields) {
  const chat = state.chats.get(chatId);
  if (chat) putChat({ ...chat, ...fields });
}

export function dropChat(chatId) {
  state.unseen.delete(chatId);
  if (state.chats.delete(chatId)) emit("chats", state.chats);
  if (!state.unseen.size) setBlinking(false);
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
  const fresh = new Map((result.chats || []).map((chat) => [chat.chat_id, chat]));
  state.chats = fresh;
  for (const id of [...state.unseen]) if (!fresh.has(id)) state.unseen.delete(id);
  state.waiting = result.waiting || 0;
  emit("chats", state.chats);
  return result;
}

export async function categories({ reload = false } = {}) {
  if (!state.categories || reload) {
    state.categories = (await api.categories()).categories || [];
  }
  return state.categories;
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
  socket.on("chat.assigned", ({ chat }) => {
    if (!chat) return;
    const isNew = !state.chats.has(chat.chat_id);
    putChat(chat);
    if (isNew) {
      state.unseen.add(chat.chat_id);
      setBlinking(true);
      emit("assigned", chat);
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
    if (chat && message.seq > (chat.last_seq || 0)) {
      chat.last_seq = message.seq;
      chat.last_message = message;
    }
    emit("message", message);
    if (chat) emit("chats", state.chats);
  });
  socket.on("typing", (frame) => emit("typing", frame));
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
  state.waiting = 0;
}
