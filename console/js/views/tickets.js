// Tickets (R-TK-1): the queue, filtered by status, assignee, channel and requester
// (the filters live in the URL's hash query, so a reload keeps them), kept live from
// the socket's `ticket.created` / `ticket.updated`; and a ticket: its status,
// assignee and category, the thread of the request and the replies (each emailed to
// the requester), the reply box with the canned-response picker, and for a chat's
// ticket its "chat history" tab (R-CON-7).

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { fold } from "../fold.js";
import { formatTime, t } from "../i18n.js";
import * as session from "../session.js";
import * as store from "../store.js";
import { categoryPicker, indexTree, pathLabel } from "../ui/categories.js";
import { channelLabel } from "../ui/info.js";
import { cannedPicker } from "../ui/picker.js";
import { toast, toastError } from "../ui/toast.js";
import { transcript } from "../ui/transcript.js";
import { customerName } from "./chats.js";

export const STATUSES = ["open", "pending", "solved"];
export const CHANNELS = ["chat", "offline_form"];
const FILTERS = ["status", "assignee", "channel", "q"];
const MIN_QUERY = 2; // the API finds requesters by 2 characters and more
const SEARCH_DELAY_MS = 350;
const MAX_REPLY = 10000;
const CATEGORY_DELAY_MS = 500; // a 3-level pick is one change, not three
const EMAIL_POLL_MS = 5000; // while a reply's email is queued, look again this often
const EMAIL_POLLS = 12;

// The list as last shown (its filters), for the ticket's "All tickets" link.
let listHash = "#/tickets";
// Reply drafts by ticket, kept while the console is open.
const drafts = new Map();

export function render(container, params, context = {}) {
  if (params.id) return renderTicket(container, params.id);
  return renderList(container, context);
}

// --- filters --------------------------------------------------------------------------

/** The filters in a hash like `#/tickets?status=open&assignee=me&q=yamada`: `assignee`
 * is "" (anyone), "me", "none" (unassigned) or an operator's id. */
export function filtersFromHash(hash) {
  const query = new URLSearchParams((hash || "").split("?")[1] || "");
  const filters = Object.fromEntries(FILTERS.map((name) => [name, (query.get(name) || "").trim()]));
  if (!STATUSES.includes(filters.status)) filters.status = "";
  if (!CHANNELS.includes(filters.channel)) filters.channel = "";
  if (filters.q.length < MIN_QUERY) filters.q = "";
  return filters;
}

export function hashOf(filters) {
  const query = new URLSearchParams();
  for (const name of FILTERS) if (filters[name]) query.set(name, filters[name]);
  const text = query.toString();
  return text ? `#/tickets?${text}` : "#/tickets";
}

/** GET /tickets' parameters for `filters`. */
function apiFilters(filters, me) {
  return {
    status: filters.status,
    assignee_id: filters.assignee === "me" ? me.operator_id : filters.assignee,
    channel: filters.channel,
    q: filters.q,
  };
}

function requesterOf(ticket) {
  const requester = ticket.requester || {};
  const customer = ticket.customer || {};
  return { name: requester.name || customer.name || "", email: requester.email || customer.email || "" };
}

/** Whether a ticket pushed by the socket belongs in the list as filtered (the
 * server's rules: `q` is a part of the requester's or customer's name or email). */
export function matches(ticket, filters, me) {
  if (filters.status && ticket.status !== filters.status) return false;
  if (filters.channel && ticket.channel !== filters.channel) return false;
  if (filters.assignee === "none" && ticket.assignee_id) return false;
  if (filters.assignee === "me" && ticket.assignee_id !== me.operator_id) return false;
  if (filters.assignee && !["me", "none"].includes(filters.assignee) && ticket.assignee_id !== filters.assignee) return false;
  if (filters.q) {
    const needle = fold(filters.q);
    const haystack = [ticket.requester?.name, ticket.requester?.email, ticket.customer?.name, ticket.customer?.email];
    if (!haystack.some((text) => text && fold(text).includes(needle))) return false;
  }
  return true;
}

// --- pieces both screens show --------------------------------------------------------------

export function statusBadge(status) {
  const known = STATUSES.includes(status);
  return h("span", { class: ["pill", `pill-ticket-${known ? status : "unknown"}`], "data-status": status || "" },
    known ? t(`ticketStatus.${status}`) : status || t("common.none"));
}

function emailBadge(status) {
  const known = ["queued", "sent", "failed", "none"].includes(status) ? status : "none";
  return h("span", { class: ["pill", `pill-email-${known}`], "data-email-status": known },
    t(`emailStatus.${known}`));
}

const ticketHref = (ticketId) => `#/tickets/${encodeURIComponent(ticketId)}`;
const numbered = (ticket) => (ticket.number != null ? `#${ticket.number}` : "");

// --- the queue ------------------------------------------------------------------------------

function renderList(container, { replaceHash }) {
  const me = session.operator() || {};
  const cleanups = [];
  let filters = filtersFromHash(location.hash);
  let tickets = []; // as shown, newest first
  let nextCursor = null;
  let generation = 0; // the latest load; older answers are dropped
  let searchTimer = null;
  let composing = false;

  const anyOption = (label) => h("option", { value: "" }, label);
  const statusSelect = h("select", { name: "status", onchange: () => apply({ status: statusSelect.value }) },
    anyOption(t("tickets.allStatuses")),
    STATUSES.map((status) => h("option", { value: status }, t(`ticketStatus.${status}`))));
  const assigneeSelect = h("select", { name: "assignee", onchange: () => apply({ assignee: assigneeSelect.value }) });
  const channelSelect = h("select", { name: "channel", onchange: () => apply({ channel: channelSelect.value }) },
    anyOption(t("tickets.allChannels")),
    CHANNELS.map((channel) => h("option", { value: channel }, channelLabel(channel))));
  const queryHelp = h("p", { class: "help", id: "tickets-q-help" }, t("tickets.qHelp"));
  const queryInput = h("input", {
    type: "search", name: "q", autocomplete: "off", spellcheck: "false",
    placeholder: t("history.qPlaceholder"), "aria-describedby": queryHelp.id, value: filters.q,
  });
  const field = (label, control, extra) => h("div", { class: ["field", extra] }, h("label", {}, label, control));
  const form = h("form", { class: "filters card ticket-filters", role: "search", "aria-label": t("tickets.filters"), "data-testid": "tickets-filters" },
    field(t("tickets.status"), statusSelect),
    field(t("tickets.assignee"), assigneeSelect),
    field(t("tickets.channel"), channelSelect),
    h("div", { class: "field" }, h("label", {}, t("tickets.q"), queryInput), queryHelp));

  const tbody = h("tbody", {});
  const columns = ["tickets.number", "tickets.subject", "tickets.requester", "tickets.status", "tickets.assignee",
    "tickets.channel", "tickets.created", "tickets.updated"];
  const message = h("div", { class: "list-message muted", role: "status" }, t("common.loading"));
  const moreButton = h("button", { class: "btn btn-sm", type: "button", "data-action": "load-more", hidden: true, onclick: more },
    t("tickets.more"));
  const countLabel = h("span", { class: "muted small" });

  container.append(
    h("div", { class: "page" },
      h("header", { class: "page-head" }, h("h1", {}, t("tickets.title"))),
      form,
      h("div", { class: "card table-card" },
        h("table", { class: "table table-clickable ticket-table", "data-testid": "tickets-table" },
          h("thead", {}, h("tr", {}, columns.map((key) => h("th", { scope: "col" }, t(key))))),
          tbody),
        message,
        h("div", { class: "pager ticket-pager" }, countLabel, moreButton))),
  );

  function paintAssignees(operators) {
    const known = new Set(["", "me", "none", ...operators.map((op) => op.operator_id)]);
    assigneeSelect.replaceChildren(
      anyOption(t("tickets.anyone")),
      h("option", { value: "me" }, t("tickets.assignedToMe")),
      h("option", { value: "none" }, t("tickets.unassigned")),
      operators.length
        ? h("optgroup", { label: t("tickets.operators") },
          operators.map((op) => h("option", { value: op.operator_id }, op.name || op.email || op.operator_id)))
        : null,
      // An operator named by the URL whom this list does not have: kept, by id.
      known.has(filters.assignee) ? null : h("option", { value: filters.assignee }, filters.assignee),
    );
    assigneeSelect.value = filters.assignee;
  }

  function fillForm() {
    statusSelect.value = filters.status;
    channelSelect.value = filters.channel;
    assigneeSelect.value = filters.assignee;
  }

  /** New filters: into the URL (a reload keeps them) and a fresh first page. */
  function apply(changes) {
    filters = { ...filters, ...changes };
    listHash = hashOf(filters);
    if (location.hash !== listHash) replaceHash?.(listHash);
    load();
  }

  function row(ticket) {
    const href = ticketHref(ticket.ticket_id);
    const requester = requesterOf(ticket);
    return h("tr", {
      "data-ticket-id": ticket.ticket_id,
      "data-status": ticket.status || "",
      onclick: (event) => { if (!event.target.closest("a")) location.hash = href; },
    },
    h("td", { class: "nowrap ticket-number" }, numbered(ticket) || t("common.none")),
    h("td", { class: "strong ticket-subject" }, h("a", { href }, ticket.subject || t("tickets.noSubject"))),
    h("td", { class: "ticket-requester" },
      h("div", {}, requester.name || t("chat.anonymous")),
      requester.email ? h("div", { class: "muted small" }, requester.email) : null),
    h("td", {}, statusBadge(ticket.status)),
    h("td", { class: "ticket-assignee" }, ticket.assignee_id
      ? ticket.assignee_name || t("tickets.someone")
      : h("span", { class: "muted" }, t("tickets.unassigned"))),
    h("td", {}, h("span", { class: "pill pill-info" }, channelLabel(ticket.channel))),
    h("td", { class: "nowrap" }, formatTime(ticket.created_at)),
    h("td", { class: "nowrap" }, formatTime(ticket.updated_at || ticket.created_at)));
  }

  function paint() {
    tbody.replaceChildren(...tickets.map(row));
    const filtered = FILTERS.some((name) => filters[name]);
    message.textContent = tickets.length ? "" : t(filtered ? "tickets.noMatch" : "tickets.empty");
    countLabel.textContent = tickets.length ? t("tickets.count", { count: tickets.length }) : "";
    moreButton.hidden = !nextCursor;
  }

  async function load({ cursor = null } = {}) {
    const mine = ++generation;
    if (!cursor) message.textContent = t("common.loading");
    moreButton.disabled = true;
    try {
      const result = await api.tickets({ ...apiFilters(filters, me), cursor });
      if (mine !== generation) return;
      const page = result.tickets || [];
      const seen = new Set(cursor ? tickets.map((ticket) => ticket.ticket_id) : []);
      tickets = cursor ? [...tickets, ...page.filter((ticket) => !seen.has(ticket.ticket_id))] : page;
      nextCursor = result.next_cursor || null;
      paint();
    } catch (error) {
      if (mine !== generation) return;
      if (!cursor) {
        tickets = [];
        nextCursor = null;
        tbody.replaceChildren();
      }
      message.textContent = error.missingRoute
        ? t("common.unavailable", { message: `HTTP ${error.status}` })
        : t("common.error", { message: error.message });
      if (cursor) toastError(error);
    } finally {
      if (mine === generation) moreButton.disabled = false;
    }
  }

  function more() {
    if (nextCursor) load({ cursor: nextCursor });
  }

  /** A ticket the socket pushed: in place, at its place (newest first) when it is new
   * to the list and matches the filters, or out when it no longer does. */
  function live({ kind, ticket }) {
    if (!ticket?.ticket_id) return;
    const at = tickets.findIndex((shown) => shown.ticket_id === ticket.ticket_id);
    const merged = at >= 0 ? { ...tickets[at], ...ticket } : ticket;
    const fits = matches(merged, filters, me);
    if (at >= 0) {
      if (fits) tickets[at] = merged;
      else tickets.splice(at, 1);
    } else if (fits) {
      const created = String(merged.created_at || "");
      const before = tickets.findIndex((shown) => String(shown.created_at || "") < created);
      if (before >= 0) tickets.splice(before, 0, merged);
      else if (!nextCursor || kind === "created") tickets.push(merged); // older than the loaded pages: their turn comes
      else return;
    } else {
      return;
    }
    paint();
  }

  function scheduleSearch() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, SEARCH_DELAY_MS);
  }

  /** The search box's text, once typed (never during an IME's composition): 2
   * characters and more search; one keeps what is shown; none shows every ticket. */
  function search() {
    clearTimeout(searchTimer);
    if (composing) return;
    const q = queryInput.value.trim();
    const short = q.length > 0 && q.length < MIN_QUERY;
    queryHelp.classList.toggle("help-warn", short);
    if (short || q === filters.q) return;
    apply({ q });
  }

  queryInput.addEventListener("compositionstart", () => {
    composing = true;
    clearTimeout(searchTimer);
  });
  queryInput.addEventListener("compositionend", () => {
    composing = false;
    scheduleSearch();
  });
  queryInput.addEventListener("input", (event) => {
    if (composing || event.isComposing) return;
    scheduleSearch();
  });
  form.addEventListener("keydown", (event) => {
    // Enter that confirms an IME conversion is the IME's (Safari: keyCode 229 after it).
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229)) event.preventDefault();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });

  paintAssignees([]);
  fillForm();
  listHash = hashOf(filters);
  // Admins may pick any operator (GET /operators is theirs); operators: me, unassigned, anyone.
  if (session.isAdmin()) {
    api.operators()
      .then((result) => paintAssignees(result.operators || []))
      .catch(() => {});
  }
  load();
  cleanups.push(
    store.on("ticket", live),
    store.on("reconnected", () => load()),
    () => clearTimeout(searchTimer),
  );
  return { destroy: () => cleanups.forEach((cleanup) => cleanup()) };
}

// --- a ticket ----------------------------------------------------------------------------

function renderTicket(container, ticketId) {
  const me = session.operator() || {};
  const cleanups = [];
  let ticket = null;
  let chatHistory = null;
  let tree = [];
  let others = []; // operators a ticket can be given to, besides me
  let updating = 0; // PUTs under way: the socket's copy waits for them
  let categoryTimer = null;
  let pollTimer = null;
  let polls = 0;
  let entries = new Map(); // entry_id -> entry
  let threadLoaded = false;
  let threadGeneration = 0; // the latest GET of the thread; older answers are dropped
  let sending = false;

  const title = h("h1", { class: "ticket-title", "data-testid": "ticket-title" }, t("tickets.title"));
  const requesterLine = h("p", { class: "ticket-requester-line muted" });
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": t("tickets.title") });
  const body = h("div", { class: "tab-body" }, h("p", { class: "muted" }, t("common.loading")));

  // Status, assignee and category: each change is saved at once.
  const statusSelect = h("select", { id: "ticket-status", name: "status", "data-testid": "ticket-status", disabled: true },
    STATUSES.map((status) => h("option", { value: status }, t(`ticketStatus.${status}`))));
  const assigneeSelect = h("select", { id: "ticket-assignee", name: "assignee_id", "data-testid": "ticket-assignee", disabled: true });
  const categoryBox = h("div", { class: "ticket-category", "data-testid": "ticket-category" });
  const categoryGone = h("p", { class: "help", hidden: true });
  let category = null;
  const controls = h("div", { class: "card ticket-controls", "data-testid": "ticket-controls" },
    h("div", { class: "field" }, h("label", { for: statusSelect.id }, t("tickets.status")), statusSelect),
    h("div", { class: "field" }, h("label", { for: assigneeSelect.id }, t("tickets.assignee")), assigneeSelect),
    h("fieldset", { class: "field ticket-category-field" }, h("legend", {}, t("info.category")), categoryBox, categoryGone));

  // The details tab: the facts, the thread and the reply box (built once, so a
  // draft survives a look at the chat history tab).
  const facts = h("dl", { class: "dl" });
  const description = h("section", { class: "ticket-description", hidden: true },
    h("h2", { class: "section-title" }, t("ticket.body")),
    h("div", { class: "ticket-body" }));
  const thread = h("ol", { class: "ticket-thread", "data-testid": "ticket-thread", "aria-label": t("tickets.thread") });
  const threadMessage = h("p", { class: "muted", role: "status" }, t("common.loading"));

  const replyInput = h("textarea", {
    class: "composer-input ticket-reply-input",
    name: "reply",
    rows: 4,
    maxlength: MAX_REPLY,
    "aria-label": t("tickets.reply"),
    "aria-describedby": "ticket-reply-hint",
    placeholder: t("tickets.replyPlaceholder"),
    "data-testid": "ticket-reply-input",
    value: drafts.get(ticketId) || "",
  });
  const replyHint = h("p", { class: "help ticket-reply-hint", id: "ticket-reply-hint" });
  const sendButton = h("button", { class: "btn btn-primary composer-send", type: "submit", "data-action": "send-reply" },
    icon("send"), h("span", {}, t("tickets.send")));
  // Canned responses (R-CAN-1): `/` opens the picker here as in a chat. Attached
  // before the box's own keydown listener, so the keys it takes never send.
  const picker = cannedPicker(replyInput, {
    load: () => api.cannedResponses().then((result) => result.canned_responses || []),
    values: () => ({
      "customer.name": requesterOf(ticket || {}).name || t("canned.customerFallback"),
      "operator.name": me.name || "",
      "service.name": store.serviceName(),
    }),
    enabled: () => !replyInput.disabled,
  });
  const replyForm = h("form", { class: "composer ticket-reply", "data-testid": "ticket-reply", "aria-label": t("tickets.reply") },
    h("h2", { class: "section-title ticket-reply-title" }, t("tickets.reply")),
    replyHint,
    h("div", { class: "composer-row" }, replyInput, sendButton),
    picker.el,
    picker.status);
  const details = [
    facts,
    description,
    h("section", { class: "ticket-thread-section" }, h("h2", { class: "section-title" }, t("tickets.thread")), threadMessage, thread),
    replyForm,
  ];

  container.append(
    h("div", { class: "page page-medium" },
      h("a", { class: "back-link", href: listHash }, "← ", t("tickets.back")),
      h("header", { class: "page-head ticket-head" }, h("div", {}, title, requesterLine)),
      controls,
      tabs,
      h("div", { class: "card" }, body)),
  );

  const tabButton = (id, label) =>
    h("button", { class: "tab", type: "button", role: "tab", "data-tab": id, "aria-selected": "false", onclick: () => select(id) }, label);

  function select(id) {
    for (const tab of tabs.children) {
      const on = tab.dataset.tab === id;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", String(on));
    }
    picker.close();
    if (id === "history") showHistory();
    else body.replaceChildren(...details);
  }

  // --- the ticket's fields --------------------------------------------------------------

  function paint() {
    const requester = requesterOf(ticket);
    title.textContent = [numbered(ticket), ticket.subject || t("tickets.noSubject")].filter(Boolean).join(" ");
    requesterLine.replaceChildren(
      h("span", { class: "ticket-requester-name" }, requester.name || t("chat.anonymous")),
      requester.email ? h("span", {}, ` <${requester.email}>`) : null,
      " ", statusBadge(ticket.status));
    const row = (label, value) => h("div", { class: "dl-row" }, h("dt", {}, label), h("dd", {}, value || t("common.none")));
    facts.replaceChildren(
      row(t("tickets.channel"), channelLabel(ticket.channel)),
      row(t("tickets.requester"), [requester.name, requester.email].filter(Boolean).join(" · ")),
      row(t("tickets.createdBy"), ticket.created_by === "customer"
        ? t("tickets.byCustomer", { name: ticket.requester?.name || "" })
        : ticket.created_by_name || ticket.created_by),
      row(t("tickets.created"), formatTime(ticket.created_at)),
      row(t("tickets.updated"), formatTime(ticket.updated_at || ticket.created_at)));
    description.querySelector(".ticket-body").textContent = ticket.body || t("common.none");
    replyHint.textContent = requester.email
      ? t("tickets.replyTo", { email: requester.email })
      : t("tickets.replyNoEmail");
    if (!updating) paintControls();
  }

  function paintControls() {
    statusSelect.value = ticket.status;
    paintAssignees();
    if (!category) {
      category = categoryPicker(tree, ticket.category_id, { onChange: changeCategory, name: "ticket-category" });
      categoryBox.replaceChildren(category.el);
    } else if (category.value() !== (ticket.category_id || null)) {
      category.set(ticket.category_id);
    }
    // A category the tree does not have (deleted since): its path, as the server kept it.
    const gone = Boolean(ticket.category_id) && !indexTree(tree).has(ticket.category_id);
    categoryGone.hidden = !gone;
    categoryGone.textContent = gone ? t("tickets.categoryGone", { path: pathLabel(new Map(), null, ticket.category_path) }) : "";
    statusSelect.disabled = false;
    assigneeSelect.disabled = false;
  }

  function paintAssignees() {
    const current = ticket.assignee_id || "";
    const listed = new Set(["", me.operator_id, ...others.map((op) => op.operator_id)]);
    assigneeSelect.replaceChildren(
      h("option", { value: "" }, t("tickets.unassigned")),
      me.operator_id ? h("option", { value: me.operator_id }, t("tickets.me", { name: me.name || me.email || "" })) : null,
      others.length
        ? h("optgroup", { label: t("tickets.operators") },
          others.map((op) => h("option", { value: op.operator_id }, op.name || op.email || op.operator_id)))
        : null,
      listed.has(current) ? null : h("option", { value: current }, ticket.assignee_name || t("tickets.someone")),
    );
    assigneeSelect.value = current;
  }

  async function update(fields) {
    updating += 1;
    statusSelect.disabled = true;
    assigneeSelect.disabled = true;
    try {
      const saved = await api.updateTicket(ticketId, fields);
      ticket = { ...ticket, ...fields, ...(saved || {}) };
      toast(t("tickets.saved"), { kind: "success" });
    } catch (error) {
      toastError(error);
    } finally {
      updating -= 1;
      if (ticket) paint();
    }
  }

  statusSelect.addEventListener("change", () => update({ status: statusSelect.value }));
  assigneeSelect.addEventListener("change", () => update({ assignee_id: assigneeSelect.value || null }));

  function changeCategory() {
    clearTimeout(categoryTimer);
    categoryTimer = setTimeout(() => {
      const chosen = category.value();
      if (chosen !== (ticket.category_id || null)) update({ category_id: chosen });
    }, CATEGORY_DELAY_MS);
  }

  // --- the thread ----------------------------------------------------------------------

  function entryItem(entry) {
    const role = entry.author?.role === "operator" ? "operator" : "customer";
    const kind = entry.kind === "request" ? "request" : "reply";
    const author = entry.author?.name || (role === "customer" ? t("chat.anonymous") : t("common.none"));
    return h("li", { class: ["thread-entry", `thread-${kind}`, `thread-${role}`], "data-entry-id": entry.entry_id || "",
      "data-kind": kind, "data-testid": "thread-entry" },
    h("div", { class: "thread-meta" },
      h("span", { class: "thread-author" }, author),
      h("span", { class: "thread-kind" }, t(kind === "request" ? "tickets.request" : "tickets.replyEntry")),
      h("time", { class: "thread-time", datetime: entry.created_at || "" }, formatTime(entry.created_at)),
      // Replies say whether their email went out; a request only when it was mailed.
      kind === "reply" || (entry.email_status && entry.email_status !== "none") ? emailBadge(entry.email_status) : null),
    h("div", { class: "thread-text" }, entry.text ?? ""));
  }

  function paintThread() {
    const sorted = [...entries.values()].sort((a, b) => String(a.created_at || "").localeCompare(String(b.created_at || "")));
    thread.replaceChildren(...sorted.map(entryItem));
    threadMessage.textContent = sorted.length ? "" : t("tickets.noEntries");
    threadMessage.hidden = sorted.length > 0;
    // The description is the request entry; shown apart only when the thread lacks one.
    description.hidden = !threadLoaded || sorted.some((entry) => entry.kind === "request");
  }

  function addEntries(list) {
    for (const entry of list || []) {
      const key = entry.entry_id || `${entry.created_at}-${entries.size}`;
      entries.set(key, { ...entries.get(key), ...entry });
    }
    paintThread();
    watchEmail();
  }

  async function loadThread() {
    const mine = ++threadGeneration;
    try {
      const result = await api.ticketThread(ticketId);
      if (mine !== threadGeneration) return;
      threadLoaded = true;
      entries = new Map();
      addEntries(result.entries);
    } catch (error) {
      if (mine !== threadGeneration) return;
      threadLoaded = true;
      description.hidden = false;
      threadMessage.hidden = false;
      threadMessage.textContent = error.missingRoute
        ? t("common.unavailable", { message: `HTTP ${error.status}` })
        : t("common.error", { message: error.message });
    }
  }

  /** A reply's email goes out shortly after: look again while one is queued. */
  function watchEmail() {
    clearTimeout(pollTimer);
    const queued = [...entries.values()].some((entry) => entry.email_status === "queued");
    if (!queued || polls >= EMAIL_POLLS) return;
    pollTimer = setTimeout(() => {
      polls += 1;
      loadThread();
    }, EMAIL_POLL_MS);
  }

  async function sendReply() {
    const text = replyInput.value.trim();
    if (!text || sending) return;
    if (text.length > MAX_REPLY) {
      toast(t("tickets.replyTooLong"), { kind: "error" });
      return;
    }
    sending = true;
    sendButton.disabled = true;
    try {
      const entry = await api.replyToTicket(ticketId, text);
      if (replyInput.value.trim() === text) replyInput.value = "";
      drafts.delete(ticketId);
      polls = 0;
      threadGeneration += 1; // a thread asked for before this reply would drop it
      if (entry) addEntries([entry]);
      thread.lastElementChild?.scrollIntoView({ block: "nearest" });
      toast(t(entry?.email_status === "none" ? "tickets.replySaved" : "tickets.replySent"), { kind: "success" });
    } catch (error) {
      toastError(error); // the text stays, to try again
    } finally {
      sending = false;
      sendButton.disabled = false;
      replyInput.focus();
    }
  }

  replyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply();
  });
  replyInput.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; never while an IME is composing
    // (Japanese input), nor when the canned-response picker took the key.
    if (event.defaultPrevented) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      sendReply();
    }
  });
  replyInput.addEventListener("input", () => {
    if (replyInput.value) drafts.set(ticketId, replyInput.value);
    else drafts.delete(ticketId);
  });

  // --- the chat history tab ---------------------------------------------------------------

  async function showHistory() {
    body.replaceChildren(h("p", { class: "muted" }, t("common.loading")));
    try {
      chatHistory ||= await api.ticketChatHistory(ticketId);
    } catch (error) {
      body.replaceChildren(h("p", { class: "muted" }, error.status === 404 ? t("tickets.chatGone") : t("common.error", { message: error.message })));
      return;
    }
    const chat = chatHistory.chat || {};
    const messages = transcript({ chatId: chat.chat_id });
    messages.addAll(chatHistory.messages);
    // Internal notes among the messages, marked as notes (R-NOTE-1); a backend that
    // does not send them with the history is asked for them.
    if (!chatHistory.notes && chat.chat_id) {
      chatHistory.notes = await api.chatNotes(chat.chat_id).then((found) => found.notes || []).catch(() => []);
    }
    messages.addNotes(chatHistory.notes);
    body.replaceChildren(
      h("div", { class: "chat-history-head", "data-testid": "ticket-chat-history" },
        h("strong", {}, customerName(chat)),
        h("span", { class: "muted small" }, ` ${formatTime(chat.created_at)} · ${chat.operator_name || ""}`)),
      messages.el,
    );
  }

  // --- loading and live -------------------------------------------------------------------

  async function loadOperators() {
    try {
      // Admins read every operator; an operator the team's names (GET /team).
      const result = session.isAdmin() ? await api.operators() : await api.team();
      others = (result.operators || []).filter((op) => op.operator_id && op.operator_id !== me.operator_id);
    } catch {
      others = [];
    }
  }

  Promise.all([
    api.ticket(ticketId),
    store.categories().then((found) => { tree = found; }).catch(() => {}),
    loadOperators(),
  ])
    .then(([found]) => {
      ticket = found;
      paint();
      tabs.append(tabButton("details", t("tickets.tabDetails")));
      if (ticket.chat_id) tabs.append(tabButton("history", t("tickets.tabHistory")));
      select("details");
      loadThread();
    })
    .catch((error) => {
      body.replaceChildren(h("p", { class: "muted" }, t("common.error", { message: error.message })));
      controls.hidden = true;
      if (!error.missingRoute) toastError(error);
    });

  cleanups.push(
    store.on("ticket", ({ ticket: pushed }) => {
      if (!ticket || pushed?.ticket_id !== ticketId) return;
      ticket = { ...ticket, ...pushed };
      paint();
      loadThread(); // a reply from another operator, or its email sent
    }),
    () => clearTimeout(categoryTimer),
    () => clearTimeout(pollTimer),
    () => picker.destroy(),
  );
  return { destroy: () => cleanups.forEach((cleanup) => cleanup()) };
}
