// The operator's WebSocket. Each tab has its own connection; the server pushes every
// event to every connection of the operator, so a second tab sees the same events.
// It reconnects on its own with backoff and a fresh single-use ticket, keeps the
// connection alive with pings, and resends unacknowledged messages after a reconnect
// (the server stores a repeated client_msg_id once).

import { api, redact } from "./api.js";

const PING_EVERY_MS = 4 * 60 * 1000; // API Gateway drops a socket idle for 10 minutes
const REPLY_TIMEOUT_MS = 15000;
const MAX_BACKOFF_MS = 30000;

export class ConsoleSocket extends EventTarget {
  constructor() {
    super();
    this.ws = null;
    this.state = "offline"; // offline | connecting | open | reconnecting
    this.stopped = true;
    this.attempts = 0;
    this.everOpened = false;
    this.nextId = 1;
    this.replies = new Map(); // frame id -> {resolve, reject, timer}
    this.outbox = new Map(); // client_msg_id -> message.send frame, until acknowledged
    this.retryTimer = null;
    this.pingTimer = null;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000, "signed out");
      this.ws = null;
    }
    this.setState("offline");
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }

  async connect() {
    if (this.stopped) return;
    this.setState(this.everOpened ? "reconnecting" : "connecting");
    let ticket;
    try {
      ticket = await api.wsTicket();
    } catch (error) {
      if (error.status === 401 || error.status === 403) return this.stop();
      return this.retryLater();
    }
    if (this.stopped) return;
    const base = (window.CONSOLE_CONFIG && window.CONSOLE_CONFIG.wsUrl) || ticket.ws_url;
    const url = `${base}${base.includes("?") ? "&" : "?"}ticket=${encodeURIComponent(ticket.ticket)}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      return this.retryLater();
    }
    this.ws = ws;
    ws.onopen = () => this.opened();
    ws.onmessage = (event) => this.received(event.data);
    ws.onclose = () => this.closed(ws);
    ws.onerror = () => {}; // onclose follows and handles it
  }

  opened() {
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.attempts = 0;
    this.setState("open");
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.sendFrame({ type: "ping" }), PING_EVERY_MS);
    for (const frame of this.outbox.values()) this.sendFrame(frame);
    this.dispatchEvent(new CustomEvent("open", { detail: { reconnected } }));
  }

  closed(ws) {
    if (ws !== this.ws) return;
    this.ws = null;
    clearInterval(this.pingTimer);
    if (!this.stopped) this.retryLater();
  }

  retryLater() {
    if (this.stopped) return;
    this.setState(this.everOpened ? "reconnecting" : "connecting");
    const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempts);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempts += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  received(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "message.ack" && frame.client_msg_id) this.outbox.delete(frame.client_msg_id);
    if (frame.re !== undefined && this.replies.has(frame.re)) {
      const waiting = this.replies.get(frame.re);
      this.replies.delete(frame.re);
      clearTimeout(waiting.timer);
      if (frame.type === "error") waiting.reject(Object.assign(new Error(redact(frame.message || frame.code)), { code: frame.code }));
      else waiting.resolve(frame);
    }
    this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
    this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
  }

  sendFrame(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Send a frame that gets a reply; resolves with the reply, rejects on `error`. */
  request(frame) {
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(Object.assign(new Error("no reply"), { code: "timeout" }));
      }, REPLY_TIMEOUT_MS);
      this.replies.set(id, { resolve, reject, timer });
      if (!this.sendFrame({ ...frame, id })) {
        // Not connected: message.send waits in the outbox; anything else fails now.
        if (frame.type !== "message.send") {
          clearTimeout(timer);
          this.replies.delete(id);
          reject(Object.assign(new Error("not connected"), { code: "offline" }));
        }
      }
      if (frame.type === "message.send") this.outbox.set(frame.client_msg_id, { ...frame, id });
    });
  }

  sendMessage(chatId, text, clientMsgId = newClientMsgId()) {
    return this.request({ type: "message.send", chat_id: chatId, client_msg_id: clientMsgId, text });
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

export function newClientMsgId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
