// The conversation: messages in seq order, each once, with the operator's own
// messages shown at once as "sending…" until the server acknowledges them.

import { h } from "../dom.js";
import { formatTime, t } from "../i18n.js";

export function transcript({ emptyText } = {}) {
  const list = h("ol", { class: "transcript", "aria-live": "polite" });
  const empty = h("li", { class: "transcript-empty" }, emptyText || t("chat.noMessages"));
  list.append(empty);
  const bySeq = new Map();
  const pending = new Map(); // client_msg_id -> element

  const nearBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 80;

  function bubble(message, { state } = {}) {
    const role = message.sender?.role || "system";
    const who =
      role === "system" ? t("chat.system") : message.sender?.name || (role === "operator" ? t("chat.you") : t("chat.anonymous"));
    if (role === "system") {
      // The service's texts (greeting, rating guidance) say which language they are in.
      return h("li", { class: "msg msg-system", "data-seq": message.seq ?? "" },
        h("div", { class: "msg-text", lang: message.lang }, message.text),
        h("time", { class: "msg-time", datetime: message.created_at || "" }, formatTime(message.created_at, { withDate: false })));
    }
    return h(
      "li",
      { class: ["msg", `msg-${role}`, state && `msg-${state}`], "data-seq": message.seq ?? "", "data-role": role },
      h("div", { class: "msg-meta" }, h("span", { class: "msg-who" }, who),
        h("time", { class: "msg-time", datetime: message.created_at || "" },
          state === "pending" ? t("chat.sending") : state === "failed" ? t("chat.failed") : formatTime(message.created_at, { withDate: false }))),
      h("div", { class: "msg-text" }, message.text),
    );
  }

  function place(el, seq) {
    empty.remove();
    const stick = nearBottom();
    const after = [...bySeq.entries()].filter(([s]) => s > seq).sort((a, b) => a[0] - b[0])[0];
    if (after) list.insertBefore(el, after[1]);
    else {
      const firstPending = pending.values().next().value;
      if (firstPending) list.insertBefore(el, firstPending);
      else list.append(el);
    }
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
    addPending(clientMsgId, text, name) {
      empty.remove();
      const el = bubble({ text, sender: { role: "operator", name } }, { state: "pending" });
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
