// Admin: the live monitor (R-SUP-1). The operators with their status and load,
// the queue with how long each customer has waited, and the chats in progress
// with how long the customer has waited for a reply (red, and said in words, past
// two minutes). `GET /monitor` every 10 seconds and whenever the admin's socket
// hears something happen; the timers tick here every second in between. Per
// chat: Watch (a read-only live transcript with the notes), Add note, Transfer.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatClock, formatTime, t } from "../i18n.js";
import * as store from "../store.js";
import { formDialog } from "../ui/dialog.js";
import { toast, toastError } from "../ui/toast.js";
import { transcript } from "../ui/transcript.js";
import { transferDialog } from "../ui/transfer.js";

const REFRESH_MS = 10000;
const TICK_MS = 1000;
const EVENT_DEBOUNCE_MS = 300;
export const UNANSWERED_ALERT_S = 120; // a customer waiting longer for a reply is shown in red
const MAX_NOTE = 5000;
// Frames that change nothing the monitor shows.
const QUIET_FRAMES = new Set(["pong", "message.ack", "typing", "error", "chat.history", "visitor.page",
  "attachment.upload", "rating.saved"]);
const STATUS_ORDER = { online: 0, break: 1, offline: 2 };

const customerOf = (chat) => chat.customer_name || t("chat.anonymous");

export function render(container) {
  const cleanups = [];
  let alive = true;
  let data = null; // the last GET /monitor
  let fetchedAt = 0; // performance.now() when it came
  let loading = false;
  let again = false;
  let eventTimer = null;
  let watching = null; // {chatId, chat, messages, ...} while the watch panel is open

  const updatedEl = h("span", { class: "muted small", "data-testid": "monitor-updated", role: "status" }, t("common.loading"));
  const refreshButton = h("button", { class: "btn", type: "button", "data-action": "refresh", onclick: () => refresh() },
    icon("refresh"), h("span", {}, t("monitor.refresh")));
  const statQueue = h("div", { class: "stat-value", "data-testid": "monitor-queue-length" }, "—");
  const statChats = h("div", { class: "stat-value", "data-testid": "monitor-chat-count" }, "—");
  const statOnline = h("div", { class: "stat-value", "data-testid": "monitor-online" }, "—");
  const statLongest = h("div", { class: "stat-value", "data-testid": "monitor-longest" }, "—");
  const stat = (label, value, extra) => h("div", { class: ["stat-card", extra] }, h("div", { class: "stat-label" }, label), value);

  const operatorsBody = h("tbody", {});
  const queueBody = h("tbody", {});
  const chatsBody = h("tbody", {});
  const operatorsEmpty = h("p", { class: "list-message muted" });
  const queueEmpty = h("p", { class: "list-message muted" });
  const chatsEmpty = h("p", { class: "list-message muted" });
  const table = (testId, headers, body, caption) => h("table", { class: "table monitor-table", "data-testid": testId },
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, headers.map((header) => header.hidden
      ? h("th", { scope: "col" }, h("span", { class: "sr-only" }, header.label))
      : h("th", { scope: "col", class: header.class || null }, header.label)))),
    body);
  const section = (id, title, help, content) => h("section", { class: "card table-card monitor-card", "aria-labelledby": id },
    h("header", { class: "monitor-card-head" }, h("h2", { id }, title), help ? h("p", { class: "muted small" }, help) : null),
    content);

  const actionsHeader = { label: t("monitor.actions"), hidden: true };
  const panel = h("aside", { class: "side-panel monitor-watch", "data-testid": "monitor-watch", "aria-label": t("monitor.watchPanel"), hidden: true });

  container.append(
    h("div", { class: "page page-with-panel monitor-page" },
      h("div", { class: "page-main" },
        h("header", { class: "page-head" },
          h("div", {}, h("h1", {}, t("monitor.title")), h("p", { class: "muted" }, t("monitor.intro"))),
          h("div", { class: "monitor-refresh" }, updatedEl, refreshButton)),
        h("div", { class: "stat-cards" },
          stat(t("monitor.queueLength"), statQueue, "stat-abandoned"),
          stat(t("monitor.inProgress"), statChats, "stat-processed"),
          stat(t("monitor.online"), statOnline),
          stat(t("monitor.longestWait"), statLongest)),
        section("monitor-operators-title", t("monitor.operators"), null, [
          table("monitor-operators", [{ label: t("operators.name") }, { label: t("operators.status") }, { label: t("monitor.load") }],
            operatorsBody, t("monitor.operators")),
          operatorsEmpty]),
        section("monitor-queue-title", t("monitor.queue"), t("monitor.queueHelp"), [
          table("monitor-queue", [{ label: t("monitor.position"), class: "col-position" }, { label: t("history.customer") },
            { label: t("monitor.waiting") }, { label: t("history.started") }, actionsHeader], queueBody, t("monitor.queue")),
          queueEmpty]),
        section("monitor-chats-title", t("monitor.chats"), t("monitor.chatsHelp", { minutes: UNANSWERED_ALERT_S / 60 }), [
          table("monitor-chats", [{ label: t("history.customer") }, { label: t("history.operator") }, { label: t("history.status") },
            { label: t("history.started") }, { label: t("monitor.unanswered") }, actionsHeader], chatsBody, t("monitor.chats")),
          chatsEmpty])),
      panel),
  );

  // --- the figures ---------------------------------------------------------------------

  /** Seconds since the answer came, added to the server's counts (a tick here, not a
   * request there). */
  const elapsed = () => (fetchedAt ? (performance.now() - fetchedAt) / 1000 : 0);

  function timerCell(base, { alert = false, testId } = {}) {
    const text = h("span", { class: "timer-text" });
    const word = alert ? h("span", { class: "timer-alert", hidden: true }, icon("alert", 13), h("span", {}, t("monitor.overdue", { minutes: UNANSWERED_ALERT_S / 60 }))) : null;
    const cell = h("td", { class: "nowrap timer", "data-base": base ?? "", "data-alert": alert ? "1" : null, "data-testid": testId }, text, word);
    paintTimer(cell);
    return cell;
  }

  function paintTimer(cell) {
    const text = cell.querySelector(".timer-text");
    if (cell.dataset.base === "") {
      text.textContent = t("monitor.answered");
      cell.classList.remove("timer-overdue");
      cell.classList.add("muted");
      const word = cell.querySelector(".timer-alert");
      if (word) word.hidden = true;
      return;
    }
    const seconds = Number(cell.dataset.base) + elapsed();
    text.textContent = formatClock(seconds);
    if (cell.dataset.alert) {
      const late = seconds >= UNANSWERED_ALERT_S;
      cell.classList.toggle("timer-overdue", late);
      cell.querySelector(".timer-alert").hidden = !late;
    }
  }

  function tick() {
    for (const cell of container.querySelectorAll("td.timer")) paintTimer(cell);
    if (data) {
      const waits = (data.chats || []).filter((chat) => chat.status === "waiting").map((chat) => Number(chat.waiting_s) || 0);
      statLongest.textContent = waits.length ? formatClock(Math.max(...waits) + elapsed()) : "—";
    }
  }

  function actionButton(action, label, chat, run, extra) {
    return h("button", {
      class: ["btn btn-sm", extra], type: "button", "data-action": action, "data-chat-id": chat.chat_id,
      "aria-label": `${label}: ${customerOf(chat)}`, title: label, onclick: () => run(chat),
    }, icon({ watch: "eye", note: "note", transfer: "transfer" }[action], 15), h("span", {}, label));
  }

  function chatActions(chat, { transfer = true } = {}) {
    return h("td", { class: "row-actions" },
      actionButton("watch", t("monitor.watch"), chat, openWatch),
      actionButton("note", t("monitor.addNote"), chat, addNote),
      transfer ? actionButton("transfer", t("transfer.button"), chat, transferChat) : null);
  }

  function operatorRow(operator) {
    const open = Number(operator.open_chats) || 0;
    const max = Number(operator.max_chats) || 0;
    const ratio = max > 0 ? Math.min(1, open / max) : 0;
    const fill = h("span", { class: ["load-fill", ratio >= 1 && "load-full"] });
    fill.style.width = `${Math.round(ratio * 100)}%`;
    const status = operator.status || "offline";
    return h("tr", { "data-operator-id": operator.operator_id, "data-testid": "monitor-operator" },
      h("td", { class: "strong cut-text", title: operator.name || "" }, operator.name || operator.operator_id),
      h("td", {}, h("span", { class: "status-inline" }, h("span", { class: `status-dot status-${status}`, "aria-hidden": "true" }), t(`status.${status}`))),
      h("td", {}, h("span", { class: "monitor-load" },
        h("span", { class: "load-bar", "aria-hidden": "true" }, fill),
        h("span", { class: "load-figures", "aria-hidden": "true" }, `${open} / ${max || "—"}`),
        h("span", { class: "sr-only" }, t("transfer.loadText", { open, max: max || "—" })),
        ratio >= 1 ? h("span", { class: "pill pill-left" }, t("transfer.full")) : null)));
  }

  function queueRow(chat) {
    return h("tr", { "data-chat-id": chat.chat_id, "data-testid": "monitor-waiting" },
      h("td", { class: "col-position" }, chat.queue_position ? `#${chat.queue_position}` : "—"),
      h("td", { class: "strong cut-text", title: customerOf(chat) }, customerOf(chat)),
      timerCell(Number(chat.waiting_s) || 0, { testId: "monitor-wait" }),
      h("td", { class: "nowrap" }, formatTime(chat.created_at, { withDate: false })),
      chatActions(chat, { transfer: false }));
  }

  function chatRow(chat) {
    const state = chat.status === "assigned" ? "assigned" : "active";
    return h("tr", { "data-chat-id": chat.chat_id, "data-testid": "monitor-chat" },
      h("td", { class: "strong cut-text", title: customerOf(chat) }, customerOf(chat)),
      h("td", { class: "cut-text", "data-testid": "monitor-chat-operator" }, chat.operator_name || t("common.none")),
      h("td", {}, h("span", { class: ["pill", `pill-${state}`] }, t(`chat.state.${state}`))),
      h("td", { class: "nowrap" }, formatTime(chat.created_at, { withDate: false })),
      timerCell(chat.unanswered_s ?? null, { alert: true, testId: "monitor-unanswered" }),
      chatActions(chat));
  }

  /** Rebuilt on every answer; the control that had the focus keeps it. */
  function paint() {
    const focused = document.activeElement;
    const keep = focused?.dataset?.chatId && focused.dataset.action
      ? `[data-chat-id="${CSS.escape(focused.dataset.chatId)}"][data-action="${focused.dataset.action}"]` : null;
    const operators = [...(data.operators || [])].sort((a, b) =>
      (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3) || String(a.name || "").localeCompare(String(b.name || "")));
    const chats = data.chats || [];
    const waiting = chats.filter((chat) => chat.status === "waiting")
      .sort((a, b) => (a.queue_position ?? 1e9) - (b.queue_position ?? 1e9));
    const going = chats.filter((chat) => chat.status !== "waiting")
      .sort((a, b) => (b.unanswered_s ?? -1) - (a.unanswered_s ?? -1) || String(a.created_at).localeCompare(String(b.created_at)));
    operatorsBody.replaceChildren(...operators.map(operatorRow));
    queueBody.replaceChildren(...waiting.map(queueRow));
    chatsBody.replaceChildren(...going.map(chatRow));
    operatorsEmpty.textContent = operators.length ? "" : t("monitor.noOperators");
    queueEmpty.textContent = waiting.length ? "" : t("monitor.noQueue");
    chatsEmpty.textContent = going.length ? "" : t("monitor.noChats");
    statQueue.textContent = String(data.queue_length ?? waiting.length);
    statChats.textContent = String(going.length);
    const online = operators.filter((op) => op.status === "online").length;
    statOnline.textContent = t("monitor.onlineCount", { online, total: operators.length });
    updatedEl.textContent = t("monitor.updated", { time: formatTime(data.generated_at || new Date().toISOString(), { withDate: false, withSeconds: true }) });
    if (keep && !focused.isConnected) container.querySelector(keep)?.focus();
    tick();
    if (watching) watchFollows(chats.find((chat) => chat.chat_id === watching.chatId) || null);
  }

  async function refresh() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    refreshButton.disabled = true;
    try {
      const answer = await api.monitor();
      if (!alive) return;
      data = answer || {};
      fetchedAt = performance.now();
      paint();
    } catch (error) {
      if (!alive) return;
      updatedEl.textContent = error.missingRoute
        ? t("common.unavailable", { message: `HTTP ${error.status}` })
        : t("monitor.failed", { message: error.message });
    } finally {
      loading = false;
      refreshButton.disabled = false;
      if (again && alive) {
        again = false;
        refresh();
      }
    }
  }

  /** Something happened on the floor: look again, once for a burst of frames. */
  function soon() {
    clearTimeout(eventTimer);
    eventTimer = setTimeout(refresh, EVENT_DEBOUNCE_MS);
  }

  // --- per chat: add a note, transfer ---------------------------------------------------

  async function addNote(chat) {
    const note = await formDialog({
      title: t("monitor.noteTitle", { name: customerOf(chat) }),
      submitLabel: t("composer.addNote"),
      fields: [{ name: "text", label: t("composer.note"), type: "textarea", rows: 4, help: t("composer.noteHint") }],
      submit: async ({ text }) => {
        const value = text.trim();
        if (!value) throw new Error(t("monitor.noteEmpty"));
        if (value.length > MAX_NOTE) throw new Error(t("note.tooLong"));
        return api.addNote(chat.chat_id, value);
      },
    });
    if (!note) return;
    toast(t("note.added"), { kind: "success" });
    if (watching?.chatId === chat.chat_id && typeof note === "object") {
      watching.messages.addNote(note);
      watching.messages.scrollToEnd();
    }
  }

  async function transferChat(chat) {
    const result = await transferDialog({
      chat_id: chat.chat_id,
      customer: { name: chat.customer_name || null },
      operator_id: chat.operator_id || null,
      status: chat.status,
    });
    if (!result) return;
    const name = customerOf(chat);
    if (result.done) {
      const operator = result.operator?.name || result.chat?.operator_name || t("transfer.someone");
      toast(result.queued ? t("transfer.queued", { name }) : t("transfer.done", { name, operator }), { kind: "success" });
    } else {
      toast(result.message, { kind: "info" });
    }
    refresh();
  }

  // --- watch: a read-only live transcript with the notes --------------------------------

  function openWatch(chat) {
    closeWatch();
    const messages = transcript({ chatId: chat.chat_id });
    const title = h("h2", { id: "monitor-watch-title", tabindex: -1 }, customerOf(chat));
    const sub = h("div", { class: "muted small", "data-testid": "watch-sub" });
    const endedBanner = h("div", { class: "banner banner-warn", role: "status", "data-testid": "watch-ended", hidden: true }, t("monitor.watchEnded"));
    const transferButton = h("button", { class: "btn btn-sm", type: "button", "data-action": "watch-transfer", onclick: () => transferChat(watching.chat) },
      icon("transfer", 15), h("span", {}, t("transfer.button")));
    watching = { chatId: chat.chat_id, chat, messages, sub, endedBanner, transferButton, ended: false };
    panel.setAttribute("aria-labelledby", "monitor-watch-title");
    panel.replaceChildren(
      h("header", { class: "panel-head" },
        h("div", { class: "watch-title" }, title, sub),
        h("button", { class: "btn btn-ghost btn-icon", type: "button", "aria-label": t("monitor.closeWatch"), "data-action": "close-watch", onclick: closeWatch }, icon("close"))),
      h("div", { class: "watch-bar" },
        h("p", { class: "watch-readonly" }, icon("eye", 14), h("span", {}, t("monitor.readOnly"))),
        h("div", { class: "watch-actions" },
          h("button", { class: "btn btn-sm", type: "button", "data-action": "watch-note", onclick: () => addNote(watching.chat) },
            icon("note", 15), h("span", {}, t("monitor.addNote"))),
          transferButton)),
      endedBanner,
      h("div", { class: "panel-body watch-body" }, messages.el));
    panel.hidden = false;
    paintWatch();
    title.focus();
    startWatching(chat.chat_id);
  }

  function paintWatch() {
    if (!watching) return;
    const { chat } = watching;
    const state = watching.ended ? t("chat.state.ended")
      : chat.status === "waiting" ? t("monitor.inQueue") : t("monitor.with", { name: chat.operator_name || t("transfer.someone") });
    watching.sub.textContent = `${state} · ${t("history.started")}: ${formatTime(chat.created_at)}`;
    watching.endedBanner.hidden = !watching.ended;
    watching.transferButton.hidden = watching.ended || chat.status === "waiting";
  }

  /** The monitor's latest row for the watched chat (null: it is not open any more). */
  function watchFollows(row) {
    if (!watching) return;
    if (row) watching.chat = { ...watching.chat, ...row };
    else if (!watching.ended && watching.loaded) watching.ended = true;
    paintWatch();
  }

  async function startWatching(chatId) {
    // The admin's socket joins the chat (`chat.resume`): its messages and notes come live.
    const resume = store.state.socket
      ? store.state.socket.request({ type: "chat.resume", chat_id: chatId, after_seq: 0 })
      : Promise.reject(new Error("offline"));
    const [resumed, history, notes] = await Promise.allSettled([resume, api.messages(chatId, 0), api.chatNotes(chatId)]);
    if (watching?.chatId !== chatId) return;
    watching.loaded = true;
    if (resumed.status === "fulfilled") watching.messages.addAll(resumed.value.messages);
    if (history.status === "fulfilled") watching.messages.addAll(history.value.messages);
    else toastError(history.reason);
    if (notes.status === "fulfilled") watching.messages.addNotes(notes.value.notes);
    const chat = resumed.status === "fulfilled" ? resumed.value.chat : null;
    if (chat?.status === "ended") watching.ended = true;
    paintWatch();
    watching.messages.scrollToEnd();
  }

  async function catchUp() {
    if (!watching) return;
    const { chatId, messages } = watching;
    try {
      const missed = await api.messages(chatId, messages.lastSeq());
      if (watching?.chatId === chatId) messages.addAll(missed.messages);
    } catch {
      // The next event or refresh tries again.
    }
  }

  function closeWatch() {
    if (!watching) return;
    const chatId = watching.chatId;
    watching = null;
    panel.hidden = true;
    panel.replaceChildren();
    container.querySelector(`[data-chat-id="${CSS.escape(chatId)}"][data-action="watch"]`)?.focus();
  }

  // --- live -----------------------------------------------------------------------------

  const socket = store.state.socket;
  if (socket) {
    cleanups.push(socket.on("frame", (frame) => {
      if (!QUIET_FRAMES.has(frame?.type)) soon();
    }));
  }
  cleanups.push(
    store.on("message", (message) => {
      if (!watching || message.chat_id !== watching.chatId) return;
      const gap = message.seq > watching.messages.lastSeq() + 1;
      watching.messages.add(message);
      if (gap) catchUp();
    }),
    store.on("note", (note) => {
      if (watching && note.chat_id === watching.chatId) watching.messages.addNote(note);
    }),
    store.on("ended", (chatId) => {
      if (watching?.chatId !== chatId) return;
      watching.ended = true;
      paintWatch();
    }),
    store.on("reconnected", () => {
      refresh();
      if (watching) {
        store.state.socket?.request({ type: "chat.resume", chat_id: watching.chatId, after_seq: watching.messages.lastSeq() })
          .then((answer) => watching?.messages.addAll(answer.messages)).catch(() => {});
        catchUp();
      }
    }),
  );
  const refreshTimer = setInterval(refresh, REFRESH_MS);
  const tickTimer = setInterval(tick, TICK_MS);
  const onKey = (event) => {
    if (event.key === "Escape" && watching && panel.contains(document.activeElement) && !document.querySelector("dialog[open]")) closeWatch();
  };
  document.addEventListener("keydown", onKey);
  cleanups.push(
    () => clearInterval(refreshTimer),
    () => clearInterval(tickTimer),
    () => clearTimeout(eventTimer),
    () => document.removeEventListener("keydown", onKey),
  );

  refresh();
  return {
    destroy: () => {
      alive = false;
      for (const cleanup of cleanups) cleanup();
    },
  };
}
