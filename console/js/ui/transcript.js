// The conversation: messages in seq order, each once, with the operator's own
// messages shown at once as "sending…" until the server acknowledges them.
// Internal notes (R-NOTE-1) sit among them in time order, each once, marked as
// notes by a label and an icon as well as their colour. A message may carry a file
// (R-ATT-1): a thumbnail or a download link under its text, or alone when the text
// is empty.

import { h, icon } from "../dom.js";
import { formatTime, t } from "../i18n.js";
import { attachmentView, pendingAttachment } from "./attachment.js";

function timeOf(iso) {
  const ms = Date.parse(iso || "");
  return Number.isNaN(ms) ? null : ms;
}

export function transcript({ emptyText, chatId } = {}) {
  const list = h("ol", { class: "transcript", "aria-live": "polite" });
  const empty = h("li", { class: "transcript-empty" }, emptyText || t("chat.noMessages"));
  list.append(empty);
  const bySeq = new Map();
  const pending = new Map(); // client_msg_id -> element
  const notes = new Map(); // note_id -> element

  const nearBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  // A thumbnail loading after it was placed makes the list taller: keep the end in
  // view if it was.
  let atEnd = true;
  list.addEventListener("scroll", () => { atEnd = nearBottom(); }, { passive: true });
  list.addEventListener("load", () => { if (atEnd) list.scrollTop = list.scrollHeight; }, true);

  function body(message, state) {
    const file = message.attachment;
    const attachment = !file ? null : state ? pendingAttachment(file) : attachmentView(file, { chatId: message.chat_id || chatId });
    // A message with a file and no text shows only the file.
    const text = message.text || !attachment ? h("div", { class: "msg-text" }, message.text) : null;
    return [text, attachment];
  }

  function bubble(message, { state } = {}) {
    const role = message.sender?.role || "system";
    const who =
      role === "system" ? t("chat.system") : message.sender?.name || (role === "operator" ? t("chat.you") : t("chat.anonymous"));
    if (role === "system") {
      // The service's texts (greeting, rating guidance) say which language they are in.
      return h("li", { class: "msg msg-system", "data-seq": message.seq ?? "", "data-time": timeOf(message.created_at) },
        h("div", { class: "msg-text", lang: message.lang }, message.text),
        h("time", { class: "msg-time", datetime: message.created_at || "" }, formatTime(message.created_at, { withDate: false })));
    }
    return h(
      "li",
      { class: ["msg", `msg-${role}`, state && `msg-${state}`], "data-seq": message.seq ?? "", "data-role": role,
        "data-time": state ? null : timeOf(message.created_at) },
      h("div", { class: "msg-meta" }, h("span", { class: "msg-who" }, who),
        h("time", { class: "msg-time", datetime: message.created_at || "" },
          state === "pending" ? t("chat.sending") : state === "failed" ? t("chat.failed") : formatTime(message.created_at, { withDate: false }))),
      body(message, state),
    );
  }

  function noteBubble(note) {
    return h(
      "li",
      { class: "msg msg-note", "data-note-id": note.note_id, "data-role": "note", "data-time": timeOf(note.created_at) },
      h("div", { class: "msg-meta" },
        h("span", { class: "note-label" }, icon("note", 14), h("span", {}, t("note.label"))),
        h("span", { class: "msg-who" }, note.author?.name || t("common.none")),
        h("time", { class: "msg-time", datetime: note.created_at || "" }, formatTime(note.created_at, { withDate: false }))),
      h("div", { class: "msg-text" }, note.text),
    );
  }

  const isNote = (el) => el?.dataset.role === "note";
  const later = (el, time) => el.dataset.time !== undefined && time !== "" && Number(el.dataset.time) > Number(time);

  function place(el, seq) {
    empty.remove();
    const stick = nearBottom();
    const after = [...bySeq.entries()].filter(([s]) => s > seq).sort((a, b) => a[0] - b[0])[0];
    let before = after ? after[1] : pending.values().next().value || null;
    // Notes written after this message come after it.
    let previous = before ? before.previousElementSibling : list.lastElementChild;
    while (isNote(previous) && later(previous, el.dataset.time ?? "")) {
      before = previous;
      previous = previous.previousElementSibling;
    }
    list.insertBefore(el, before);
    if (stick) list.scrollTop = list.scrollHeight;
  }

  /** A note goes before the first message or note written after it (and before the
   * replies still being sent). */
  function placeNote(el) {
    empty.remove();
    const stick = nearBottom();
    const time = el.dataset.time;
    const waiting = new Set(pending.values());
    const before = [...list.children].find((other) => other !== empty && (waiting.has(other) || later(other, time)));
    list.insertBefore(el, before || null);
    if (stick) list.scrollTop = list.scrollHeight;
  }

  return {
    el: list,
    add(message) {
      if (!message || bySeq.has(message.seq)) return;
      const el = bubble(message);
      const mine = message.client_msg_id && pending.get(message.client_msg_id);
      if (mine) {
        pending.delete(message.client_msg_id);
        mine.remove();
      }
      bySeq.set(message.seq, el);
      place(el, message.seq);
    },
    addAll(messages) {
      for (const message of messages || []) this.add(message);
    },
    /** An internal note, once (it may come both as the answer and as a `note` event). */
    addNote(note) {
      if (!note || !note.note_id || notes.has(note.note_id)) return;
      const el = noteBubble(note);
      notes.set(note.note_id, el);
      placeNote(el);
    },
    addNotes(found) {
      for (const note of found || []) this.addNote(note);
    },
    /** My reply, shown at once as "sending…" (`attachment`: its file, {filename, size}). */
    addPending(clientMsgId, text, name, attachment = null) {
      empty.remove();
      const el = bubble({ text, attachment, sender: { role: "operator", name } }, { state: "pending" });
      pending.set(clientMsgId, el);
      list.append(el);
      list.scrollTop = list.scrollHeight;
    },
    failed(clientMsgId) {
      const el = pending.get(clientMsgId);
      if (el) {
        el.classList.add("msg-failed");
        el.querySelector(".msg-time").textContent = t("chat.failed");
      }
    },
    lastSeq() {
      return bySeq.size ? Math.max(...bySeq.keys()) : 0;
    },
    scrollToEnd() {
      list.scrollTop = list.scrollHeight;
    },
  };
}
