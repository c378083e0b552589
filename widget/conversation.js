// The conversation: the transcript (a live region, in sequence order), notices,
// the typing line and the composer. Messages arrive one by one; each is placed
// by its seq, and outbox messages wait at the end until acknowledged.

import { h, icon } from './dom.js';

const MAX_TEXT = 5000;
const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 3000;

export class ConversationView {
  constructor(t, lang, { send, typing, leave }) {
    this.t = t;
    this.lang = lang;
    this.typingTimer = null;
    this.lastTypingSent = 0;
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite',
      'aria-label': t('log'), tabindex: '0' });
    this.typingLine = h('p', { class: 'typing', 'aria-hidden': 'true' });
    this.input = h('textarea', {
      id: 'hdc-input', rows: '1', placeholder: t('placeholder'), 'aria-label': t('messageLabel'),
      maxlength: String(MAX_TEXT), enterkeyhint: 'send',
      onkeydown: (event) => {
        // Enter sends; Shift+Enter is a new line; Enter that ends an IME
        // composition (Japanese, Korean input) only confirms the text.
        if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
          event.preventDefault();
          this.submit();
        }
      },
      oninput: () => {
        this.grow();
        const now = Date.now();
        if (this.input.value && now - this.lastTypingSent > TYPING_SENT_EVERY_MS) {
          this.lastTypingSent = now;
          typing();
        }
      },
    });
    this.onSend = send;
    this.confirmBar = h('div', { class: 'confirm', hidden: true },
      h('span', { text: t('endConfirm') }),
      h('button', { type: 'button', class: 'btn ghost small', onclick: () => this.confirmEnd(false),
        text: t('cancel') }),
      h('button', { type: 'button', class: 'btn danger small', 'data-action': 'confirm-end',
        onclick: () => { this.confirmEnd(false); leave(); }, text: t('end') }));
    this.composer = h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      this.input,
      h('button', { type: 'submit', class: 'send', 'aria-label': t('send'), title: t('send') },
        icon('send')));
    this.footer = this.composer;
    this.el = h('div', { class: 'conversation' },
      this.confirmBar,
      this.log,
      this.typingLine,
      this.footer);
  }

  /** The chat has ended: the transcript stays, to be read and scrolled (R-WID-9);
   * `actions` (rating, a new chat) take the composer's place below it. */
  end(actions) {
    this.typingOff();
    this.confirmBar.hidden = true;
    this.el.classList.add('ended');
    this.footer.replaceWith(actions);
    this.footer = actions;
    return this;
  }

  get hasMessages() {
    return !!this.log.querySelector('.msg');
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    if (text.length > MAX_TEXT) return this.notice(this.t('tooLong'), Infinity);
    this.input.value = '';
    this.grow();
    this.onSend(text);
    this.input.focus();
  }

  grow() {
    this.input.style.height = 'auto';
    this.input.style.height = Math.min(this.input.scrollHeight, 120) + 'px';
  }

  confirmEnd(open) {
    this.confirmBar.hidden = !open;
    if (open) this.confirmBar.querySelector('button').focus();
    else this.input.focus();
  }

  time(iso) {
    const when = iso ? new Date(iso) : new Date();
    return when.toLocaleTimeString(this.lang, { hour: '2-digit', minute: '2-digit' });
  }

  bubble(kind, { who, text, meta, lang }) {
    return h('div', { class: `msg ${kind}` },
      who && h('span', { class: 'who', text: who }),
      h('div', { class: 'bubble', lang, text }),
      h('span', { class: 'meta', text: meta }));
  }

  /** Place a stored message by its seq (each seq is shown once). */
  message(message) {
    if (this.log.querySelector(`[data-seq="${message.seq}"]`)) return;
    const role = message.sender?.role || 'system';
    const who = role === 'operator' ? message.sender.name || this.t('operator') : null;
    // The service's texts (greeting, rating guidance) say which language they
    // are in; what people write does not.
    const el = this.bubble(role, { who, text: message.text, meta: this.time(message.created_at),
      lang: message.lang });
    el.dataset.seq = String(message.seq);
    if (message.client_msg_id) {
      this.log.querySelector(`[data-client-id="${CSS.escape(message.client_msg_id)}"]`)?.remove();
    }
    this.place(el, message.seq);
    if (role === 'operator') this.typingOff();
  }

  /** A message in the outbox: shown at the end as "sending" until acknowledged. */
  pending(item) {
    const el = this.bubble('customer pending', { text: item.text, meta: this.t('sending') });
    el.dataset.clientId = item.client_msg_id;
    this.place(el, Infinity);
  }

  failed(clientMsgId) {
    const el = this.log.querySelector(`[data-client-id="${CSS.escape(clientMsgId)}"]`);
    if (!el) return;
    el.classList.replace('pending', 'failed');
    el.querySelector('.meta').textContent = this.t('notSent');
  }

  /** Something that happened after message `afterSeq`, not a message itself:
   * an operator joined. */
  notice(text, afterSeq) {
    this.place(h('p', { class: 'notice', text }), (afterSeq || 0) + 0.5);
  }

  /** Everything in the log is ordered by a key: a message's seq, a notice's
   * place between two seqs, Infinity for what is not stored yet. */
  place(el, key) {
    el.dataset.key = String(key);
    const later = [...this.log.children].find((n) => Number(n.dataset.key) > key);
    this.log.insertBefore(el, later || null);
    this.log.scrollTop = this.log.scrollHeight;
  }

  typingOn(name) {
    this.typingLine.textContent = this.t('typing', { name });
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.typingOff(), TYPING_SHOWN_MS);
  }

  typingOff() {
    clearTimeout(this.typingTimer);
    this.typingLine.textContent = '';
  }
}
