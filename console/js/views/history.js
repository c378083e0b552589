// Chat History (R-CON-10, R-CH-3, R-CH-4): search by every condition, a paged list,
// a detail panel to edit info, create tickets and read the transcript, and Export.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatTime, lang, serviceDate, t } from "../i18n.js";
import * as session from "../session.js";
import * as store from "../store.js";
import { flatOptions, indexTree, pathLabel } from "../ui/categories.js";
import { channelLabel, infoPanel } from "../ui/info.js";
import { createTicketFor } from "../ui/tickets.js";
import { toast, toastError } from "../ui/toast.js";
import { transcript } from "../ui/transcript.js";
import { customerName } from "./chats.js";

const EXPORT_POLL_MS = 1000;
const FILTERS = ["from", "to", "status", "operator_id", "category_id", "channel", "q", "rating", "limit"];
// One customer's chats (R-VIS-1: the chat screen's "3 earlier chats") go back this
// far, not only the last 30 days.
const CUSTOMER_DAYS = 3650;

/** The customer a `#/history?customer_id=…` address names, or "". */
export function customerInHash(hash = location.hash) {
  const query = hash.split("?")[1] || "";
  return (new URLSearchParams(query).get("customer_id") || "").trim().slice(0, 100);
}

/** The last `days` local days of the service, up to today (R-TZ-1). Periods go to
 * the API as these plain dates (YYYY-MM-DD), which it reads as whole days of the
 * service's time zone ("to" included), whatever the operator's computer says. */
export function defaultPeriod(days = 30) {
  return { from: serviceDate(-(days - 1)), to: serviceDate() };
}

function defaultFilters() {
  return {
    ...defaultPeriod(30),
    status: "",
    operator_id: "",
    category_id: "",
    channel: "",
    q: "",
    rating: "",
    limit: "50",
    customer_id: "",
  };
}

// Kept while the console is open, so coming back to the screen keeps the search
// (first set when the screen first shows: the service's zone is known by then).
let remembered = null;

export function render(container, params, { mayLeave, replaceHash }) {
  remembered ||= { filters: defaultFilters(), cursors: [null], page: 0 };
  // The address says whose chats, if one customer's: a link from a chat, or a reload.
  const wanted = customerInHash();
  if (wanted !== (remembered.filters.customer_id || "")) {
    remembered = {
      filters: wanted
        ? { ...defaultFilters(), from: serviceDate(-(CUSTOMER_DAYS - 1)), customer_id: wanted }
        : { ...remembered.filters, ...defaultPeriod(30), customer_id: "" },
      cursors: [null],
      page: 0,
    };
  }
  const cleanups = [];
  let filters = { ...remembered.filters };
  let cursors = [...remembered.cursors]; // cursors[i] fetches page i
  let page = remembered.page;
  let nextCursor = null;
  let generation = 0; // loads asked for: an older answer never paints over a newer one
  let detail = null; // {chatId, info}
  let tree = [];
  let categoryIndex = new Map();
  let exportTimer = null;

  const controls = {};
  const control = (name, el) => {
    controls[name] = el;
    el.name = name;
    return el;
  };
  const labelled = (key, el, extra) => h("div", { class: ["field", extra] }, h("label", {}, t(key), el));
  const anyOption = () => h("option", { value: "" }, t("history.any"));

  const operatorSelect = control("operator_id", h("select", {}, anyOption()));
  const categorySelect = control("category_id", h("select", {}, anyOption()));
  const form = h(
    "form",
    { class: "filters card", "data-testid": "history-filters", onsubmit: (event) => { event.preventDefault(); search(); } },
    labelled("history.from", control("from", h("input", { type: "date" }))),
    labelled("history.to", control("to", h("input", { type: "date" }))),
    labelled("history.status", control("status", h("select", {}, anyOption(),
      h("option", { value: "processed" }, t("history.processed")),
      h("option", { value: "unprocessed" }, t("history.unprocessed"))))),
    labelled("history.operator", operatorSelect),
    labelled("history.category", categorySelect),
    labelled("history.channel", control("channel", h("select", {}, anyOption(),
      h("option", { value: "widget" }, channelLabel("widget"))))),
    labelled("history.rating", control("rating", h("select", {}, anyOption(),
      [5, 4, 3, 2, 1].map((score) => h("option", { value: String(score) }, "★".repeat(score)))))),
    labelled("history.q", control("q", h("input", { type: "search", autocomplete: "off", placeholder: t("history.qPlaceholder") }))),
    control("limit", h("input", { type: "hidden" })),
    h("div", { class: "filter-actions" },
      h("button", { class: "btn btn-primary", type: "submit", "data-action": "search" }, icon("search"), h("span", {}, t("history.search"))),
      h("button", { class: "btn", type: "button", onclick: reset }, t("history.reset")),
      h("button", { class: "btn", type: "button", "data-action": "export", onclick: startExport }, icon("download"), h("span", {}, t("history.export")))),
  );

  // The customer filter has no control of its own: a chip says it is on, × takes it off.
  const chips = h("div", { class: "filter-chips", "data-testid": "history-chips", role: "group", "aria-label": t("history.activeFilters"), hidden: true });
  let customerLabel = "";

  function paintChips() {
    const id = filters.customer_id;
    chips.hidden = !id;
    if (!id) {
      chips.replaceChildren();
      return;
    }
    const label = t("history.customerChip", { name: customerLabel || id });
    chips.replaceChildren(h("span", { class: "filter-chip", "data-testid": "customer-chip", title: id },
      icon("users", 14), h("span", { class: "filter-chip-text" }, label),
      h("button", {
        class: "filter-chip-remove", type: "button", "data-action": "remove-customer",
        "aria-label": t("history.removeChip", { filter: label }), onclick: removeCustomer,
      }, icon("close", 14))));
  }

  function removeCustomer() {
    filters = { ...readForm(), ...defaultPeriod(30), customer_id: "" };
    customerLabel = "";
    replaceHash?.("#/history");
    fillForm();
    paintChips();
    cursors = [null];
    page = 0;
    load();
    form.querySelector("input, select")?.focus();
  }

  const progressBar = h("div", { class: "progress-bar" });
  const progressText = h("span", { class: "small" });
  const downloadLink = h("a", { class: "btn btn-primary", hidden: true, "data-testid": "export-download", download: "", target: "_blank", rel: "noopener" }, icon("download"), h("span", {}, t("history.download")));
  const progress = h("div", { class: "export-progress card", "data-testid": "export-progress", hidden: true },
    h("div", { class: "progress", role: "progressbar", "aria-label": t("history.export") }, progressBar),
    h("div", { class: "export-row" }, progressText, downloadLink));

  const tbody = h("tbody", {});
  // Fixed columns: a long name or email is cut short with an ellipsis (its full
  // text in a tooltip, and shown whole while its row has the keyboard focus)
  // instead of pushing the other columns off the screen. The "opt" columns give
  // way while the detail panel, which shows them, is open.
  const columns = [
    ["history.started", "col-time"], ["history.customer", "col-name"], ["info.email", "col-email opt"],
    ["history.operator", "col-operator opt"], ["history.category", "col-category opt"],
    ["history.channel", "col-channel opt"], ["history.status", "col-status"], ["history.rating", "col-rating"],
  ];
  const table = h("table", { class: "table table-clickable table-fixed", "data-testid": "history-table" },
    h("colgroup", {}, columns.map(([, name]) => h("col", { class: name }))),
    h("thead", {}, h("tr", {}, columns.map(([label, name]) =>
      h("th", { scope: "col", title: t(label), class: name.includes("opt") ? "opt" : null }, t(label))))),
    tbody);
  const pageLabel = h("span", { class: "muted small" });
  const prevButton = h("button", { class: "btn btn-sm", type: "button", onclick: () => turn(-1) }, t("history.prev"));
  const nextButton = h("button", { class: "btn btn-sm", type: "button", "data-action": "next", onclick: () => turn(1) }, t("history.next"));
  const pager = h("div", { class: "pager" }, prevButton, pageLabel, nextButton);
  const message = h("div", { class: "list-message muted" });
  const panel = h("aside", { class: "side-panel", "data-testid": "history-detail", "aria-label": t("history.detail"), hidden: true });

  container.append(
    h("div", { class: "page page-with-panel" },
      h("div", { class: "page-main" },
        h("header", { class: "page-head" }, h("h1", {}, t("history.title"))),
        form, chips, progress,
        h("div", { class: "card table-card" }, table, message, pager)),
      panel),
  );

  function fillForm() {
    for (const name of FILTERS) controls[name].value = filters[name] ?? "";
  }

  function readForm() {
    return Object.fromEntries(FILTERS.map((name) => [name, controls[name].value]));
  }

  function query() {
    return { ...filters };
  }

  async function loadOptions() {
    tree = await store.categories().catch(() => []);
    categoryIndex = indexTree(tree);
    categorySelect.replaceChildren(anyOption(), ...flatOptions(tree).map(([id, label]) => h("option", { value: id }, label)));
    const me = session.operator() || {};
    let operators = [{ operator_id: me.operator_id, name: `${t("history.me")} (${me.name || me.email || ""})` }];
    try {
      // Every operator's name, readable by any operator (GET /team).
      operators = (await api.team()).operators;
    } catch {
      // keep "me"
    }
    operatorSelect.replaceChildren(anyOption(), ...operators.map((op) => h("option", { value: op.operator_id }, op.name || op.email)));
    fillForm();
  }

  function remember() {
    remembered = { filters: { ...filters }, cursors: [...cursors], page };
  }

  async function search() {
    filters = { ...readForm(), customer_id: filters.customer_id };
    cursors = [null];
    page = 0;
    await load();
  }

  function reset() {
    if (filters.customer_id) replaceHash?.("#/history");
    filters = defaultFilters();
    customerLabel = "";
    paintChips();
    fillForm();
    search();
  }

  async function turn(step) {
    if (step > 0 && !nextCursor) return;
    if (step > 0) cursors[page + 1] = nextCursor;
    page = Math.max(0, page + step);
    await load();
  }

  async function load() {
    remember();
    const mine = ++generation; // only the newest search or page is shown
    message.textContent = t("common.loading");
    try {
      const result = await api.history({ ...query(), cursor: cursors[page] || "" });
      if (mine !== generation) return;
      nextCursor = result.next_cursor || null;
      paintRows(result.chats || []);
      if (filters.customer_id && !customerLabel) {
        const named = (result.chats || []).find((chat) => chat.customer?.customer_id === filters.customer_id && chat.customer?.name);
        if (named) {
          customerLabel = named.customer.name;
          paintChips();
        }
      }
      message.textContent = result.chats?.length ? "" : t("history.empty");
    } catch (error) {
      if (mine !== generation) return;
      tbody.replaceChildren();
      nextCursor = null;
      message.textContent = error.missingRoute ? t("common.unavailable", { message: `HTTP ${error.status}` }) : t("common.error", { message: error.message });
    }
    pageLabel.textContent = t("history.page", { page: page + 1 });
    prevButton.disabled = page === 0;
    nextButton.disabled = !nextCursor;
  }

  /** A cell whose text may be cut short: the whole of it on hover and focus. */
  function cut(text, extra) {
    return h("td", { class: ["cut", extra], title: text }, text);
  }

  function paintRows(chats) {
    tbody.replaceChildren(
      ...chats.map((chat) =>
        h(
          "tr",
          {
            class: detail?.chatId === chat.chat_id ? "selected" : null,
            "data-chat-id": chat.chat_id,
            tabindex: 0,
            onclick: () => openDetail(chat),
            onkeydown: (event) => { if (event.key === "Enter") openDetail(chat); },
          },
          h("td", { class: "nowrap" }, formatTime(chat.created_at)),
          cut(customerName(chat), "strong"),
          cut(chat.customer?.email || t("common.none"), "opt"),
          cut(chat.operator_name || t("common.none"), "opt"),
          cut(pathLabel(categoryIndex, chat.inquiry?.category_id, chat.inquiry?.category_path), "opt"),
          cut(channelLabel(chat.inquiry?.channel), "opt"),
          h("td", {}, h("span", { class: ["pill", chat.processed ? "pill-ok" : "pill-muted"] },
            chat.processed ? t("history.processed") : t("history.unprocessed"))),
          h("td", { class: "nowrap" }, chat.rating ? t("history.stars", { score: chat.rating.score }) : t("common.none")),
        ),
      ),
    );
  }

  async function openDetail(summary) {
    if (detail?.chatId === summary.chat_id) return;
    if (detail?.info?.isDirty() && !(await mayLeave())) return;
    detail = { chatId: summary.chat_id, info: null };
    for (const row of tbody.querySelectorAll("tr")) row.classList.toggle("selected", row.dataset.chatId === summary.chat_id);
    panel.hidden = false;
    let chat = summary;
    try {
      chat = await api.chat(summary.chat_id);
    } catch {
      // the row's copy will do
    }
    if (detail?.chatId !== summary.chat_id) return;
    const info = infoPanel(chat, tree, {
      onSaved: (updated) => {
        chat = updated;
        load();
      },
      // An admin erased the customer's data (R-PRIV-2): the list and this panel afresh.
      onErased: () => {
        if (detail?.chatId !== summary.chat_id) return;
        detail = null;
        load();
        openDetail(summary);
      },
    });
    detail.info = info;
    const messages = transcript({ chatId: chat.chat_id });
    panel.replaceChildren(
      h("header", { class: "panel-head" },
        h("div", {}, h("h2", {}, customerName(chat)),
          h("div", { class: "muted small" }, `${formatTime(chat.created_at)} · ${chat.operator_name || t("common.none")}`)),
        h("button", { class: "btn btn-ghost btn-icon", type: "button", "aria-label": t("history.close"), onclick: closeDetail }, icon("close"))),
      h("div", { class: "panel-body" },
        info.el,
        h("div", { class: "panel-actions" },
          h("button", { class: "btn", type: "button", "data-action": "ticket", onclick: () => createTicketFor(chat).catch(toastError) },
            icon("ticket"), h("span", {}, t("chat.createTicket")))),
        h("section", { class: "info-section" }, h("h3", {}, t("history.transcript")), messages.el)),
    );
    try {
      messages.addAll((await api.messages(chat.chat_id, 0)).messages);
    } catch (error) {
      toastError(error);
    }
    // Internal notes among the messages, marked as notes (R-NOTE-1).
    try {
      const { notes } = await api.chatNotes(chat.chat_id);
      if (detail?.chatId === chat.chat_id) messages.addNotes(notes);
    } catch (error) {
      if (!error.missingRoute) toastError(error);
    }
  }

  async function closeDetail() {
    if (detail?.info?.isDirty() && !(await mayLeave())) return;
    detail = null;
    panel.hidden = true;
    panel.replaceChildren();
    for (const row of tbody.querySelectorAll("tr.selected")) row.classList.remove("selected");
  }

  async function startExport() {
    filters = { ...readForm(), customer_id: filters.customer_id };
    remember();
    const { limit, customer_id: customerId, ...conditions } = query();
    if (customerId) conditions.customer_id = customerId;
    clearTimeout(exportTimer);
    progress.hidden = false;
    progress.classList.add("running");
    progress.classList.remove("done", "failed");
    progressBar.style.width = "";
    downloadLink.hidden = true;
    progressText.textContent = t("history.exporting", { rows: 0 });
    try {
      // The workbook's headers and values in the reader's language.
      const job = await api.startExport({ ...conditions, language: lang() });
      poll(job.export_id);
    } catch (error) {
      exportFailed(error.message);
    }
  }

  async function poll(exportId) {
    let job;
    try {
      job = await api.exportStatus(exportId);
    } catch (error) {
      exportFailed(error.message);
      return;
    }
    if (job.status === "done") {
      progress.classList.remove("running");
      progress.classList.add("done");
      progressBar.style.width = "100%";
      progressText.textContent = t("history.exportDone", { rows: job.rows ?? 0 });
      downloadLink.href = new URL(job.url, location.href).href;
      downloadLink.hidden = false;
      startDownload(downloadLink.href);
      return;
    }
    if (job.status === "failed") {
      exportFailed();
      return;
    }
    if (job.total) {
      progress.classList.remove("running");
      progressBar.style.width = `${Math.min(99, Math.round((100 * (job.rows || 0)) / job.total))}%`;
    }
    progressText.textContent = t("history.exporting", { rows: job.rows ?? 0 });
    exportTimer = setTimeout(() => poll(exportId), EXPORT_POLL_MS);
  }

  // A hidden frame downloads the file without leaving the console, also when the
  // URL is on another origin (a presigned S3 URL), where <a download> is ignored.
  function startDownload(url) {
    const frame = h("iframe", { class: "download-frame", src: url, title: t("history.download"), hidden: true });
    document.body.append(frame);
    setTimeout(() => frame.remove(), 60000);
  }

  function exportFailed(detailText) {
    progress.classList.remove("running");
    progress.classList.add("failed");
    progressText.textContent = detailText ? `${t("history.exportFailed")} (${detailText})` : t("history.exportFailed");
    toast(t("history.exportFailed"), { kind: "error" });
  }

  fillForm();
  paintChips();
  loadOptions().then(load);
  cleanups.push(() => clearTimeout(exportTimer));

  return {
    isDirty: () => Boolean(detail?.info?.isDirty()),
    destroy: () => cleanups.forEach((cleanup) => cleanup()),
  };
}
