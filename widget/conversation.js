// The conversation: the transcript (a live region, in sequence order), notices,
// the typing line and the composer. Messages arrive one by one; each is placed
// by its seq, and outbox messages wait at the end until acknowledged.
//
// Files (R-ATT-1) are only hooks here, to keep the chat small when it opens: a
// message's file shows its name until files.js, loaded with the first file
// shown or attached (`files.use`), draws it; a file chosen with the attach
// button, dropped on the chat or pasted in the message box goes to files.js.

import { h, icon } from './dom.js';

const MAX_TEXT = 5000;
const TYPING_SHOWN_MS = 4000;
const TYPING_SENT_EVERY_MS = 3000;

export class ConversationView {
  /** `files`: {types (the types the service takes, or none), use(fn)}. */
  constructor(t, lang, { send, typing, leave, files }) {
    this.t = t;
    this.lang = lang;
    this.files = files;
    const types = files.types;
    // A file pasted in the message box (a screenshot) or dropped on the chat is
    // attached (while the chat goes on: files.js). Pasted text stays text, even
    // with a picture of itself (as office programs add).
    const grab = (event) => {
      const data = event.clipboardData || event.dataTransfer;
      if (!types || !data.types.includes('Files') || data.types.includes('text/plain')) return;
      event.preventDefault();
      if (data.files.length) files.use((it) => it.add(data.files[0]));
    };
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
      onpaste: grab,
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
    const picker = types && h('input', { type: 'file', hidden: true, accept: types.join(),
      onchange: () => files.use((it) => it.add(picker.files[0], picker)) });
    this.composer = h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      types && h('button', { type: 'button', class: 'icon-btn attach', 'data-action': 'attach',
        'aria-label': t('attach'), title: t('attach'), onclick: () => picker.click() },
      icon('clip')),
      picker,
      this.input,
      h('button', { type: 'submit', class: 'send', 'aria-label': t('send'), title: t('send') },
        icon('send')));
    this.footer = this.composer;
    this.el = h('div', { class: 'conversation', ondragover: grab, ondrop: grab },
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

  /** Send what is typed, with the file waiting in the tray if there is one
   * (`onSend` answers false when there is nothing to send yet). */
  submit() {
    const text = this.input.value.trim();
    if (text.length > MAX_TEXT) return this.notice(this.t('tooLong'), Infinity);
    if (!this.onSend(text)) return;
    this.input.value = '';
    this.grow();
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

  /** `file`: the message's file, drawn (a message may be a file alone). */
  bubble(kind, { who, text, meta, lang, file }) {
    return h('div', { class: `msg ${kind}` },
      who && h('span', { class: 'who', text: who }),
      file,
      (text || !file) && h('div', { class: 'bubble', lang, text }),
      h('span', { class: 'meta', text: meta }));
  }

  /** A file's name (as text), where files.js draws the file once loaded. */
  file(file) {
    const slot = h('span', { class: 'file', text: file.filename });
    this.files.use((it) => it.draw(slot, file, this));
    return slot;
  }

  /** Place a stored message by its seq (each seq is shown once). */
  message(message) {
    if (this.log.querySelector(`[data-seq="${message.seq}"]`)) return;
    const role = message.sender?.role || 'system';
    const who = role === 'operator' ? message.sender.name || this.t('operator') : null;
    // The service's texts (greeting, rating guidance) say which language they
    // are in; what people write does not.
    const el = this.bubble(role, { who, text: message.text, meta: this.time(message.created_at),
      lang: message.lang, file: message.attachment && this.file(message.attachment) });
    el.dataset.seq = String(message.seq);
    if (message.client_msg_id) {
      this.log.querySelector(`[data-client-id="${CSS.escape(message.client_msg_id)}"]`)?.remove();
    }
    this.place(el, message.seq);
    if (role === 'operator') this.typingOff();
  }

  /** A message in the outbox: shown at the end as "sending" until acknowledged. */
  pending(item) {
    const file = item.attachment && this.file(item.attachment);
    const el = this.bubble('customer pending', { text: item.text, meta: this.t('sending'), file });
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
