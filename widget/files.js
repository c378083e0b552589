// Files in the chat (R-ATT-1), loaded (with files.css and attach.js) the first
// time a message shows a file or the customer attaches one, so a chat without
// files never loads them (bench/widget_size.py counts them apart). Until then a
// message's file shows its name (conversation.js).
//
// A file in a message: an image as itself, scaled (`thumbnail_url`; a click
// opens `url` full size in a new tab), any other file as its name, size and a
// download link (the bucket answers it with `Content-Disposition: attachment`).
// A file's name is always text. Links are presigned and expire (`expires_at`,
// an hour): an expired one, or none yet (the customer's own file, just sent),
// is asked for afresh (`attachment.link`); so is it, once, when an image fails
// to load. Attaching one is attach.js's.

import { Attacher, fileSize } from './attach.js';
import { h } from './dom.js';

// Shown as themselves; every other type is a download link.
const IMAGE = /^image\/(png|jpeg|gif|webp)$/;

const stale = (file) => !file.url || Date.parse(file.expires_at) < Date.now();

/** Resolves once files.css applies (or failed to load: the files still show). */
const styled = new Promise((resolve) => {
  document.head.append(h('link', { rel: 'stylesheet', href: new URL('./files.css', import.meta.url).href,
    onload: resolve, onerror: resolve }));
});

/** Files for the chat: `chat` as attach.js's Attacher takes it, and `frames`,
 * app.js's table of frame handlers, where the answers to the requests made
 * here are added. */
export async function setup(chat) {
  await styled;
  const files = new ChatFiles(chat);
  chat.frames['attachment.upload'] = (frame) => files.granted(frame);
  chat.frames['attachment.link'] = (frame) => files.relinked(frame);
  return files;
}

class ChatFiles extends Attacher {
  /** Draw a message's `file` in place of `slot` (its name, shown meanwhile) in
   * `view`, the conversation. */
  draw(slot, file, view) {
    // A message still sending has no link yet: its file's comes once it is stored.
    const ask = () => link.closest('.pending') || this.link(file.attachment_id);
    const image = IMAGE.test(file.content_type);
    const link = h('a', {
      class: ['file', image && 'image'], href: file.url, target: '_blank', rel: 'noopener',
      'data-file': file.attachment_id,
      onclick: (event) => {
        if (!stale(file)) return;
        event.preventDefault();
        link.dataset.open = '1'; // opened when the fresh link comes
        ask();
      },
    },
    image ? h('img', {
      alt: file.filename, src: file.thumbnail_url || file.url,
      onload: () => {
        // Taller now: keep the latest message in sight if it was.
        const log = view.log;
        if (log.scrollHeight - log.scrollTop - log.clientHeight < link.offsetHeight + 60) {
          log.scrollTop = log.scrollHeight;
        }
      },
      onerror: () => {
        if (link.dataset.retried || !file.url) return;
        link.dataset.retried = '1';
        ask();
      },
    }) : [
      h('span', { class: 'name', text: file.filename }),
      h('span', { class: 'size', text: fileSize(file.size, view.lang) }),
    ]);
    slot.replaceWith(link);
    if (stale(file)) ask();
  }

  link(attachmentId) {
    this.tell({ type: 'attachment.link', id: 'link', attachment_id: attachmentId });
  }

  /** `attachment.link`: the message keeps the fresh link, and the file shown
   * takes it (and opens, if a click waited for it). */
  relinked({ attachment_id: id, url, thumbnail_url: thumb, expires_at: expires }) {
    // The chat's messages, or the ended one's still shown (app.js).
    for (const message of [...this.store.messages.values(), ...this.state.transcript]) {
      if (message.attachment?.attachment_id === id) {
        Object.assign(message.attachment, { url, thumbnail_url: thumb, expires_at: expires });
      }
    }
    const log = this.view()?.log;
    for (const link of log ? log.querySelectorAll(`[data-file="${CSS.escape(id)}"]`) : []) {
      link.href = url;
      link.querySelector('img')?.setAttribute('src', thumb || url);
      if (link.dataset.open) {
        delete link.dataset.open;
        link.click();
      }
    }
  }
}
