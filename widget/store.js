// The chat as the widget knows it: messages by sequence number (each once,
// in order, however often the server repeats them) and the outbox of messages
// typed but not yet acknowledged, kept in storage so a reload keeps them.

import { newClientMsgId } from './shared/socket.js';

export class ChatStore {
  constructor(saved) {
    this.saved = saved;
    this.chatId = null;
    this.messages = new Map();
    this.outbox = saved.get('outbox') || [];
  }

  /** Switch to a chat: what was known of another chat is dropped. */
  useChat(chatId) {
    if (this.chatId === chatId) return;
    this.chatId = chatId;
    this.messages.clear();
    this.outbox = this.outbox.filter((item) => item.chat_id === chatId);
    this.persist();
  }

  /** The last sequence number with nothing missing before it: resume after it. */
  get resumeAfter() {
    let seq = 0;
    while (this.messages.has(seq + 1)) seq += 1;
    return seq;
  }

  /** Add a message from the server; false when it was already known. */
  add(message) {
    if (message.chat_id !== this.chatId || !(message.seq > 0)) return false;
    if (this.messages.has(message.seq)) return false;
    this.messages.set(message.seq, message);
    if (message.client_msg_id) this.unqueue(message.client_msg_id);
    return true;
  }

  /** Messages in sequence order. */
  ordered() {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  /** A message to send: its text, and the file uploaded for it
   * ({attachment_id, filename, content_type, size}) if any. */
  queue(text, attachment) {
    const item = {
      chat_id: this.chatId,
      client_msg_id: newClientMsgId(),
      text,
      attachment,
      created_at: new Date().toISOString(),
    };
    this.outbox.push(item);
    this.persist();
    return item;
  }

  /** The server stored an outbox message as `seq`: it becomes a message. */
  acknowledge(clientMsgId, seq, sender) {
    const item = this.outbox.find((entry) => entry.client_msg_id === clientMsgId);
    if (!item) return null;
    this.unqueue(clientMsgId);
    // What was queued (chat_id, client_msg_id, text, attachment, created_at);
    // a file's link is asked for when it is shown.
    const message = { ...item, seq, sender };
    return this.add(message) ? message : null;
  }

  unqueue(clientMsgId) {
    const before = this.outbox.length;
    this.outbox = this.outbox.filter((entry) => entry.client_msg_id !== clientMsgId);
    if (this.outbox.length !== before) this.persist();
  }

  /** The chat is over: nothing more to send or show. */
  forget() {
    this.chatId = null;
    this.messages.clear();
    this.outbox = [];
    this.persist();
  }

  persist() {
    if (this.outbox.length) this.saved.set('outbox', this.outbox);
    else this.saved.remove('outbox');
  }
}
