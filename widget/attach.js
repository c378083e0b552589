// Attaching a file to the next message (R-ATT-1), with files.js (which loads
// it): the chat opens without either (bench/widget_size.py counts them apart).
//
// A file is checked here first against the service's settings (its declared
// type among `attachments.types`, not empty, at most `max_bytes`; the bytes
// are the server's to judge), then `attachment.request` → `attachment.upload`
// (a presigned POST) → the browser uploads it straight to the bucket, with a
// progress bar and a cancel button. It waits in the tray above the message box
// and goes with the next Send (`take()`), typed text or not. Every refusal says
// why in the customer's language, and drops the file: nothing is half sent.
//
// Its strings come with it (i18n/attach/<lang>.js, `say()`; the chat UI's own
// are `t()`'s in i18n/<lang>.js); tests/e2e/test_attachments_widget.py checks
// that every language has every key.

import { h, icon, mount } from './dom.js';
import en from './i18n/attach/en.js';
import ja from './i18n/attach/ja.js';
import ko from './i18n/attach/ko.js';
import { translator } from './shared/i18n.js';

const STRINGS = { en, ja, ko };
const ANSWER_WITHIN_MS = 20000;

/** "12.3 kB", "10 bytes" in the customer's language. */
export function fileSize(bytes, lang) {
  const [n, unit] = bytes < 1024 ? [bytes, 'byte']
    : bytes < 1048576 ? [bytes / 1024, 'kilobyte'] : [bytes / 1048576, 'megabyte'];
  return new Intl.NumberFormat(lang, { style: 'unit', unit, maximumFractionDigits: 1,
    unitDisplay: unit === 'byte' ? 'long' : 'short' }).format(n);
}

/** How a type is named to the customer: "PNG", "PDF", "TXT". */
function kind(type) {
  return type === 'text/plain' ? 'TXT' : String(type).split('/').pop().toUpperCase();
}

/** The message for a refusal (API.md's codes; `sent`: refused on message.send,
 * where `type` means the bytes are not what the file claimed). */
function why(code, reason, sent) {
  if (code === 'attachments_disabled') return 'off';
  if (code === 'rate_limited') return 'busy';
  if (code !== 'bad_attachment') return 'failed';
  if (reason === 'type') return sent ? 'notType' : 'type';
  return reason === 'size' || reason === 'empty' ? reason : 'again'; // missing, used
}

export class Attacher {
  /** `chat`: app.js's `state` (the language, the config's `attachments`, the
   * chat) and `store`, its `send(frame)` (false when it cannot go now), and
   * `view()`, the conversation shown (its `composer`, `input`, `log`). */
  constructor({ state, store, send, view }) {
    Object.assign(this, { state, store, send, view });
    this.file = null; // the one file on its way: {id, filename, content_type, size, state, …}
    this.error = null; // the last refusal: {key, file}
    this.asked = 0;
  }

  lang() {
    return this.state.lang;
  }

  limits() {
    return this.state.config.attachments;
  }

  /** Send `frame` about the chat (the one still shown, after its end): false
   * when it cannot go now. */
  tell(frame) {
    const chatId = this.store.chatId || this.state.chat?.chat_id;
    return !!chatId && this.send({ ...frame, chat_id: chatId });
  }

  /** A file chosen (`picker`: the file input, emptied so the same file can be
   * chosen again), dropped or pasted: checked, then an upload is asked for. It
   * takes the place of any other file waiting. */
  add(blob, picker) {
    if (picker) picker.value = '';
    if (!blob || !this.store.chatId) return; // dropped on a chat that has ended
    this.clear();
    const limits = this.limits();
    const file = { id: `file:${++this.asked}`, blob, filename: blob.name || 'file',
      content_type: blob.type, size: blob.size, state: 'asking' };
    const wrong = !limits.types.includes(file.content_type) ? 'type'
      : !file.size ? 'empty' : file.size > limits.max_bytes ? 'size' : null;
    if (wrong) return this.refuse(wrong, file);
    this.file = file;
    const { id, filename, content_type: type, size } = file;
    if (!this.tell({ type: 'attachment.request', id, filename, content_type: type, size })) {
      return this.refuse('network', file);
    }
    this.timer = setTimeout(() => this.file === file && this.refuse('network', file), ANSWER_WITHIN_MS);
    this.show();
  }

  /** `attachment.upload`: upload to the bucket, every field of the presigned
   * POST in order, then the file as `file` (its part's Content-Type is the
   * File's type, the one declared), under its cleaned name. */
  granted({ re, attachment_id: attachmentId, filename, upload }) {
    const file = this.file;
    if (!file || re !== file.id) return;
    clearTimeout(this.timer);
    Object.assign(file, { attachment_id: attachmentId, filename, state: 'uploading', progress: 0 });
    const form = new FormData();
    for (const [field, value] of Object.entries(upload.fields)) form.append(field, value);
    form.append('file', file.blob, filename);
    const xhr = (file.xhr = new XMLHttpRequest());
    xhr.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      file.progress = event.loaded / event.total;
      if (this.bar) this.bar.value = file.progress;
    };
    xhr.onload = () => {
      if (this.file !== file) return;
      // S3 answers 204, or an XML error: a size outside the policy's range is its own.
      if (xhr.status >= 300) return this.refuse(/EntityToo/.test(xhr.responseText) ? 'size' : 'failed', file);
      Object.assign(file, { state: 'ready', blob: null, xhr: null });
      this.show();
      if (file.sendWhenDone) this.view()?.submit();
    };
    xhr.onerror = () => this.file === file && this.refuse('network', file);
    xhr.open('POST', upload.url);
    xhr.send(form);
    this.show();
  }

  /** An `error` answering `attachment.request` (its id is `re`). */
  refused(re, code, reason) {
    if (this.file?.id === re) this.refuse(why(code, reason, false), this.file);
  }

  /** An outbox message with a file refused on `message.send`. For its file
   * (the upload is gone) it leaves the transcript and its text goes back in the
   * message box; refused otherwise (the chat ended…) it is marked not sent. */
  notSent(code, reason, item) {
    const view = this.view();
    if (code !== 'bad_attachment' && code !== 'attachments_disabled') return view?.failed(item.client_msg_id);
    if (view) {
      view.log.querySelector(`[data-client-id="${CSS.escape(item.client_msg_id)}"]`)?.remove();
      if (item.text && !view.input.value) {
        view.input.value = item.text;
        view.grow();
      }
    }
    this.refuse(why(code, reason, true), item.attachment);
  }

  /** For Send: the uploaded file ({attachment_id, filename, content_type, size}),
   * null when none waits, false while it is still on its way (it then sends
   * itself once uploaded). */
  take() {
    const file = this.file;
    this.error = null;
    if (file?.state !== 'ready') {
      if (file) file.sendWhenDone = true;
      this.show();
      return file ? false : null;
    }
    this.file = null;
    this.show();
    const { attachment_id: attachmentId, filename, content_type: type, size } = file;
    return { attachment_id: attachmentId, filename, content_type: type, size };
  }

  /** Drop the file (the upload is aborted) and any message. */
  clear() {
    clearTimeout(this.timer);
    this.file?.xhr?.abort();
    this.file = null;
    this.error = null;
    this.show();
  }

  refuse(key, file) {
    if (file === this.file) this.clear();
    this.error = { key, file };
    this.show();
  }

  /** The tray: the file (name, size, progress, cancel or remove) or why the
   * last one was refused. Drawn anew whenever it changes (and into a redrawn
   * conversation, after a change of language). */
  show() {
    const view = this.view();
    if (!view) return;
    // The file waiting to go with the next Send, its progress, or why it was refused.
    if (!view.tray) view.composer.prepend(view.tray = h('div', { class: 'tray', id: 'hdc-tray' }));
    const tray = view.tray;
    const lang = this.lang();
    const say = translator(STRINGS, lang);
    const limits = this.limits();
    const file = this.file;
    const hadFocus = tray.contains(document.activeElement);
    const holes = (of) => ({ name: of.filename, kind: kind(of.content_type),
      types: limits.types.map(kind).join(', '), max: fileSize(limits.max_bytes, lang) });
    this.bar = file && file.state !== 'ready' && h('progress', { max: '1', value: file.progress,
      'aria-label': say('uploading', { name: file.filename }) });
    const label = file && say(file.state === 'ready' ? 'remove' : 'cancelUpload', { name: file.filename });
    mount(tray,
      file && h('div', { class: 'chip', id: 'hdc-file', 'data-state': file.state },
        h('span', { class: 'name', text: file.filename }),
        h('span', { class: 'size', text: fileSize(file.size, lang) }),
        this.bar,
        h('button', { type: 'button', class: 'icon-btn', 'data-action': 'file-remove',
          'aria-label': label, title: label, onclick: () => {
            this.clear();
            view.input.focus();
          } }, icon('close'))),
      this.error && h('p', { class: 'file-error', id: 'hdc-file-error', role: 'alert',
        text: say(this.error.key, holes(this.error.file)) }));
    if (hadFocus && !tray.contains(document.activeElement)) {
      (tray.querySelector('button') || view.input).focus();
    }
  }
}
