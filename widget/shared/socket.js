// One WebSocket that stays up on its own, for both front ends: the chat frame's
// (widget/app.js) and the operator console's (console/js/socket.js).
//
// - Each connect asks `connectUrl()` for a fresh URL: tickets are single use.
//   An error it throws with `fatal: true` stops the socket (`onFatal`).
// - A dropped or refused socket is retried with capped exponential backoff
//   and jitter; going back online or back to the tab retries at once. The
//   backoff starts again once the server answers a frame.
// - API Gateway closes a socket after 10 minutes without a frame: a `ping`
//   every few minutes keeps it open, and a missing `pong` counts as a drop.
// - API Gateway cuts every socket at 2 hours: the socket is replaced before.
// What a new connection must do first (resume a chat, resend an outbox) is the
// caller's `onOpen`; this file knows nothing of chats.

export const TIMING = {
  backoffMs: [500, 1000, 2000, 4000, 8000, 15000, 30000],
  pingEveryMs: 4 * 60 * 1000,
  pongWithinMs: 15 * 1000,
  maxAgeMs: 115 * 60 * 1000,
};

export class ReconnectingSocket {
  constructor({ connectUrl, onOpen, onFrame, onDown, onFatal, timing = {} }) {
    Object.assign(this, { connectUrl, onOpen, onFrame, onDown, onFatal });
    this.timing = { ...TIMING, ...timing };
    this.ws = null;
    this.attempt = 0;
    this.stopped = true;
    this.connecting = false;
    this.timers = {};
    // Back online or back to the tab: a socket may have died unnoticed meanwhile.
    this.wake = () => {
      if (this.stopped || document.visibilityState === 'hidden') return;
      if (this.ws) this.ping();
      else this.now();
    };
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.wake);
    document.addEventListener('visibilitychange', this.wake);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.wake);
    document.removeEventListener('visibilitychange', this.wake);
    this.clear('retry');
    this.drop(false);
  }

  /** Send a frame now; false when there is no open socket (the caller keeps it). */
  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Retry right away instead of waiting out the backoff. */
  now() {
    this.attempt = 0;
    this.clear('retry');
    this.connect();
  }

  async connect() {
    if (this.stopped || this.connecting || this.ws) return;
    this.connecting = true;
    let url;
    try {
      url = await this.connectUrl();
    } catch (error) {
      this.connecting = false;
      if (error.fatal) {
        this.stop();
        this.onFatal?.(error);
      } else {
        this.retry();
      }
      return;
    }
    this.connecting = false;
    if (this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.retry(); // a malformed URL: the next connectUrl() may do better
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.every('ping', this.timing.pingEveryMs, () => this.ping());
      this.after('recycle', this.timing.maxAgeMs, () => this.recycle());
      this.onOpen();
    };
    ws.onmessage = (event) => {
      this.attempt = 0; // the server answers: this socket works
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame?.type === 'pong') this.clear('pong');
      else if (frame && typeof frame.type === 'string') this.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.drop(opened);
      this.retry();
    };
  }

  ping() {
    if (!this.send({ type: 'ping' })) return;
    this.after('pong', this.timing.pongWithinMs, () => {
      this.drop(true);
      this.retry();
    });
  }

  /** Before the gateway's 2-hour cut: a new socket, resumed where this one was. */
  recycle() {
    this.drop(true);
    this.connect();
  }

  /** Forget the current socket without waiting for its closing handshake. */
  drop(tell) {
    const ws = this.ws;
    this.ws = null;
    for (const name of ['ping', 'pong', 'recycle']) this.clear(name);
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(1000);
    } catch {
      /* already closed */
    }
    if (tell) this.onDown?.();
  }

  retry() {
    if (this.stopped) return;
    const steps = this.timing.backoffMs;
    const base = steps[Math.min(this.attempt, steps.length - 1)];
    this.attempt += 1;
    this.after('retry', base / 2 + Math.random() * (base / 2), () => this.connect());
  }

  after(name, ms, fn) {
    this.clear(name);
    this.timers[name] = setTimeout(fn, ms);
  }

  every(name, ms, fn) {
    this.clear(name);
    this.timers[name] = setInterval(fn, ms);
  }

  clear(name) {
    clearTimeout(this.timers[name]);
    clearInterval(this.timers[name]);
    delete this.timers[name];
  }
}

/** A new message's `client_msg_id` (random 128 bits): sent again after a lost
 * ack or a reconnect, the server stores it once. */
export function newClientMsgId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return 'c' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
