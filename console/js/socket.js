// The operator's WebSocket. Each tab has its own connection; the server pushes every
// event to every connection of the operator, so a second tab sees the same events.
// The connection itself (a fresh single-use ticket per connect, backoff, pings, the
// 2-hour cut) is the socket the chat widget uses too (widget/shared/socket.js);
// this adds what the console needs on top: its states, frames as events, replies
// to requests, and an outbox of messages resent after a reconnect until
// acknowledged (the server stores a repeated client_msg_id once).

import { ReconnectingSocket, newClientMsgId } from "../../widget/shared/socket.js";
import { api, redact } from "./api.js";
import { errorText } from "./errors.js";

export { newClientMsgId };

const REPLY_TIMEOUT_MS = 15000;
// Retries wait 1 s, 2 s, 4 s … up to 30 s (each with jitter).
const TIMING = { backoffMs: [1000, 2000, 4000, 8000, 16000, 30000] };

/** A refused or unanswered frame: its code, and the words for it in the reader's language. */
function socketError(code, message, reason) {
  const detail = redact(message || code);
  return Object.assign(new Error(errorText({ code, detail, reason })), { code, detail, reason: reason || null });
}

export class ConsoleSocket extends EventTarget {
  constructor() {
    super();
    this.state = "offline"; // offline | connecting | open | reconnecting
    this.everOpened = false;
    this.nextId = 1;
    this.replies = new Map(); // frame id -> {resolve, reject, timer}
    this.outbox = new Map(); // client_msg_id -> message.send frame, until acknowledged
    this.attached = new Map(); // client_msg_id -> the file it carries {filename, content_type, size}
    this.socket = new ReconnectingSocket({
      connectUrl: () => this.connectUrl(),
      onOpen: () => this.opened(),
      onFrame: (frame) => this.received(frame),
      onDown: () => this.setState("reconnecting"),
      onFatal: () => this.setState("offline"),
      timing: TIMING,
    });
  }

  start() {
    if (!this.socket.stopped) return;
    this.setState(this.everOpened ? "reconnecting" : "connecting");
    this.socket.start();
  }

  stop() {
    this.socket.stop();
    this.setState("offline");
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }

  /** A fresh ticket for each connect. Refused (the session has ended): the socket
   * stops, and the 401 has already sent the console to the login screen. */
  async connectUrl() {
    let ticket;
    try {
      ticket = await api.wsTicket();
    } catch (error) {
      error.fatal = error.status === 401 || error.status === 403;
      throw error;
    }
    const base = window.CONSOLE_CONFIG?.wsUrl || ticket.ws_url;
    return `${base}${base.includes("?") ? "&" : "?"}ticket=${encodeURIComponent(ticket.ticket)}`;
  }

  opened() {
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.setState("open");
    for (const frame of this.outbox.values()) this.sendFrame(frame);
    this.dispatchEvent(new CustomEvent("open", { detail: { reconnected } }));
  }

  received(frame) {
    if (frame.type === "message.ack" && frame.client_msg_id) {
      const sent = this.outbox.get(frame.client_msg_id);
      const attachment = this.attached.get(frame.client_msg_id) || null;
      this.outbox.delete(frame.client_msg_id);
      this.attached.delete(frame.client_msg_id);
      // The server pushes a message to every connection but its sender's: say
      // what was stored from here (the chat list shows it as the last message).
      if (sent) this.dispatchEvent(new CustomEvent("message.sent", { detail: { ...sent, seq: frame.seq, attachment } }));
    }
    if (frame.type === "error" && frame.re !== undefined) {
      // A refused message is not sent again after a reconnect (a refused file's
      // upload is gone: the operator attaches it again).
      for (const [clientMsgId, sent] of this.outbox) {
        if (sent.id !== frame.re) continue;
        this.outbox.delete(clientMsgId);
        this.attached.delete(clientMsgId);
      }
    }
    if (frame.re !== undefined && this.replies.has(frame.re)) {
      const waiting = this.replies.get(frame.re);
      this.replies.delete(frame.re);
      clearTimeout(waiting.timer);
      if (frame.type === "error") waiting.reject(socketError(frame.code, frame.message, frame.reason));
      else waiting.resolve(frame);
    }
    this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
    this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
  }

  sendFrame(frame) {
    return this.socket.send(frame);
  }

  /** Send a frame that gets a reply; resolves with the reply, rejects on `error`. */
  request(frame) {
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(socketError("timeout"));
      }, REPLY_TIMEOUT_MS);
      this.replies.set(id, { resolve, reject, timer });
      if (!this.sendFrame({ ...frame, id })) {
        // Not connected: message.send waits in the outbox; anything else fails now.
        if (frame.type !== "message.send") {
          clearTimeout(timer);
          this.replies.delete(id);
          reject(socketError("offline"));
        }
      }
      if (frame.type === "message.send") this.outbox.set(frame.client_msg_id, { ...frame, id });
    });
  }

  /** A reply, with a file already uploaded (`attachment`: what POST /chats/{id}/attachments
   * answered) when given; the text may then be empty. */
  sendMessage(chatId, text, clientMsgId = newClientMsgId(), attachment = null) {
    const frame = { type: "message.send", chat_id: chatId, client_msg_id: clientMsgId };
    if (text || !attachment) frame.text = text;
    if (attachment) {
      frame.attachment_id = attachment.attachment_id;
      const { filename, content_type: contentType, size } = attachment;
      this.attached.set(clientMsgId, { attachment_id: attachment.attachment_id, filename, content_type: contentType, size });
    }
    return this.request(frame);
  }

  typing(chatId) {
    this.sendFrame({ type: "typing", chat_id: chatId });
  }

  on(type, handler) {
    const listener = (event) => handler(event.detail);
    this.addEventListener(type, listener);
    return () => this.removeEventListener(type, listener);
  }
}
