// Admin: the audit log (R-AUD-1), newest first: when (in the service's time zone),
// who (name and role; the system, or nobody signed in for a failed sign-in), what
// (the action in words and by name), to what, from which IP address, and the
// action's details in words. Filtered by a period (local days of the service) and
// an action; "More" asks for the next page with the same filters. The server keeps
// the entries two years and no one can change or delete them.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { fieldOf } from "../errors.js";
import { formatTime, t } from "../i18n.js";
import { toastError } from "../ui/toast.js";

/** What the log records (GET /audit's `action`). */
export const AUDIT_ACTIONS = [
  "auth.login", "auth.login_failed", "settings.update",
  "operator.create", "operator.update", "operator.delete",
  "export.create", "privacy.erase", "block.create", "block.delete",
  "webhook.create", "webhook.update", "webhook.delete",
];
const ROLES = ["admin", "operator"];
const NO_FILTERS = { from: "", to: "", action: "" };

/** An action in the reader's words (its name when the console has none). */
export function actionLabel(action) {
  return AUDIT_ACTIONS.includes(action) ? t(`audit.action.${action}`) : String(action ?? "");
}

const roleLabel = (role) => (ROLES.includes(role) ? t(`role.${role}`) : String(role ?? ""));

/** Any value of a detail as plain text: a list joined, an object as key: value pairs. */
function plain(value) {
  if (value == null || value === "") return t("common.none");
  if (Array.isArray(value)) return value.length ? value.map(plain).join(", ") : t("common.none");
  if (typeof value === "boolean") return t(value ? "common.yes" : "common.no");
  if (typeof value === "object") return Object.entries(value).map(([key, inner]) => `${key}: ${plain(inner)}`).join(", ");
  return String(value);
}

const periodEnd = (value) => (value ? formatTime(value) : t("common.none"));

/** The lines that say an entry's `detail` in words: the keys the actions use, then
 * any other key as "key: value". Every value is the server's, shown as text. */
export function detailLines(entry) {
  const detail = entry.detail && typeof entry.detail === "object" && !Array.isArray(entry.detail) ? entry.detail : {};
  const lines = [];
  const done = new Set();
  const say = (keys, text) => {
    for (const key of keys) done.add(key);
    lines.push(text);
  };
  if ("fields" in detail) say(["fields"], t("audit.detail.fields", { fields: plain(detail.fields) }));
  const role = detail.role;
  if (role && typeof role === "object" && !Array.isArray(role)) {
    say(["role"], t("audit.detail.roleChange", { from: roleLabel(role.from), to: roleLabel(role.to) }));
  } else if (role != null) {
    say(["role"], t("audit.detail.role", { role: roleLabel(role) }));
  }
  if ("email" in detail) {
    say(["email"], t(entry.action === "auth.login_failed" ? "audit.detail.emailTried" : "audit.detail.email", { email: plain(detail.email) }));
  }
  if (entry.action === "export.create" && ("from" in detail || "to" in detail)) {
    say(["from", "to"], t("audit.detail.period", { from: periodEnd(detail.from), to: periodEnd(detail.to) }));
  }
  if ("filters" in detail) {
    const filters = Array.isArray(detail.filters) && !detail.filters.length ? t("audit.detail.noFilters") : plain(detail.filters);
    say(["filters"], t("audit.detail.filters", { filters }));
  }
  if ("days" in detail) say(["days"], t("audit.detail.days", { days: plain(detail.days) }));
  if (String(entry.action || "").startsWith("block.") && typeof detail.ip === "boolean") {
    say(["ip"], t(detail.ip ? "audit.detail.ipBlocked" : "audit.detail.ipNotBlocked"));
  }
  if ("customer_id" in detail) say(["customer_id"], t("audit.detail.customer", { customer: plain(detail.customer_id) }));
  if ("chat_id" in detail) say(["chat_id"], t("audit.detail.chat", { chat: plain(detail.chat_id) }));
  if ("url" in detail) say(["url"], t("audit.detail.url", { url: plain(detail.url) }));
  if ("events" in detail) say(["events"], t("audit.detail.events", { events: plain(detail.events) }));
  if (entry.action === "privacy.erase") {
    if (detail.by === "email" || detail.by === "customer_id") {
      say(["by"], t(detail.by === "email" ? "audit.detail.erasedByEmail" : "audit.detail.erasedById"));
    }
    if ("erasure_id" in detail) say(["erasure_id"], t("audit.detail.erasure", { erasure: plain(detail.erasure_id) }));
    if (detail.joined === true) say(["joined"], t("audit.detail.erasureJoined"));
  }
  for (const [key, value] of Object.entries(detail)) {
    if (!done.has(key)) lines.push(`${key}: ${plain(value)}`);
  }
  return lines;
}

function who(entry) {
  const actor = entry.actor;
  if (!actor) {
    const nobody = entry.action === "auth.login_failed";
    return h("span", { class: "audit-nobody muted", "data-testid": "audit-actor" }, t(nobody ? "audit.notSignedIn" : "audit.system"));
  }
  return [
    h("span", { class: "audit-actor strong", title: actor.operator_id || null, "data-testid": "audit-actor" },
      actor.name || actor.operator_id || t("common.none")),
    actor.role
      ? h("span", { class: ["pill", actor.role === "admin" ? "pill-info" : "pill-muted"], "data-testid": "audit-role" }, roleLabel(actor.role))
      : null,
  ];
}

function row(entry) {
  const lines = detailLines(entry);
  return h("tr", { "data-entry-id": entry.entry_id || "", "data-action": entry.action || "", "data-testid": "audit-row" },
    h("td", { class: "nowrap audit-time" },
      h("time", { datetime: entry.at || "" }, formatTime(entry.at, { withSeconds: true }))),
    h("td", { class: "audit-who" }, who(entry)),
    h("td", { class: "audit-action" },
      h("span", { class: "strong", "data-testid": "audit-action-label" }, actionLabel(entry.action)),
      h("code", { class: "audit-code" }, entry.action || "")),
    h("td", { class: "audit-target", "data-testid": "audit-target" },
      entry.target ? h("code", { class: "audit-code" }, entry.target) : h("span", { class: "muted" }, t("common.none"))),
    h("td", { class: "nowrap", "data-testid": "audit-ip" }, entry.ip || h("span", { class: "muted" }, t("common.none"))),
    h("td", { class: "audit-detail", "data-testid": "audit-detail" },
      lines.length
        ? h("ul", { class: "audit-lines" }, lines.map((line) => h("li", {}, line)))
        : h("span", { class: "muted" }, t("common.none"))));
}

export function render(container) {
  let alive = true;
  let applied = { ...NO_FILTERS }; // what the rows shown were asked for with
  let entries = [];
  let nextCursor = null;
  let generation = 0; // the latest load; older answers are dropped

  const fromInput = h("input", { type: "date", name: "from", "data-testid": "audit-from" });
  const toInput = h("input", { type: "date", name: "to", "data-testid": "audit-to" });
  const actionSelect = h("select", { name: "action", "data-testid": "audit-action" },
    h("option", { value: "" }, t("audit.allActions")),
    AUDIT_ACTIONS.map((action) => h("option", { value: action }, actionLabel(action))));
  const controls = { from: fromInput, to: toInput, action: actionSelect };
  const errorBox = h("div", { class: "form-error audit-error", id: "audit-filter-error", "data-testid": "audit-error", hidden: true });
  const field = (label, control) => h("div", { class: "field" }, h("label", {}, label, control));
  const applyButton = h("button", { class: "btn btn-primary", type: "submit", "data-action": "apply" },
    icon("search"), h("span", {}, t("audit.apply")));
  const form = h("form", {
    class: "filters card audit-filters", role: "search", "aria-label": t("audit.filters"), "data-testid": "audit-filters",
    onsubmit: (event) => { event.preventDefault(); apply(); },
  },
  field(t("audit.from"), fromInput),
  field(t("audit.to"), toInput),
  field(t("audit.actionFilter"), actionSelect),
  h("div", { class: "filter-actions" },
    applyButton,
    h("button", { class: "btn", type: "button", "data-action": "reset", onclick: reset }, t("audit.reset"))),
  errorBox);

  const tbody = h("tbody", {});
  const columns = ["audit.time", "audit.who", "audit.action", "audit.target", "audit.ip", "audit.details"];
  const message = h("p", { class: "list-message muted", role: "status", "data-testid": "audit-message" }, t("common.loading"));
  const countLabel = h("span", { class: "muted small", "data-testid": "audit-count" });
  const moreButton = h("button", { class: "btn btn-sm", type: "button", "data-action": "more", hidden: true, onclick: more },
    t("audit.more"));

  container.append(
    h("div", { class: "page audit-page" },
      h("header", { class: "page-head" },
        h("div", {}, h("h1", {}, t("audit.title")), h("p", { class: "muted", "data-testid": "audit-intro" }, t("audit.intro")))),
      form,
      h("div", { class: "card table-card" },
        h("table", { class: "table audit-table", "data-testid": "audit-table" },
          h("caption", { class: "sr-only" }, t("audit.title")),
          h("thead", {}, h("tr", {}, columns.map((key) => h("th", { scope: "col" }, t(key))))),
          tbody),
        message,
        h("div", { class: "pager audit-pager" }, countLabel, moreButton))),
  );

  function readForm() {
    return { from: fromInput.value, to: toInput.value, action: actionSelect.value };
  }

  /** A 400 about the filters: the console's sentence and the server's own message, as text. */
  function showError(failure) {
    for (const control of Object.values(controls)) {
      control.removeAttribute("aria-invalid");
      control.removeAttribute("aria-describedby");
    }
    errorBox.replaceChildren();
    errorBox.hidden = !failure;
    if (!failure) {
      errorBox.removeAttribute("role");
      return;
    }
    errorBox.setAttribute("role", "alert");
    errorBox.append(h("span", {}, failure.message));
    if (failure.detail && failure.detail !== failure.code) {
      errorBox.append(" ", h("span", { class: "server-words", "data-testid": "audit-server-words" },
        t("audit.serverSays", { message: failure.detail })));
    }
    const control = controls[fieldOf(failure.detail)];
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", errorBox.id);
    }
  }

  function paint() {
    tbody.replaceChildren(...entries.map(row));
    const filtered = Boolean(applied.from || applied.to || applied.action);
    message.textContent = entries.length ? "" : t(filtered ? "audit.noMatch" : "audit.empty");
    countLabel.textContent = entries.length ? t("audit.count", { count: entries.length }) : "";
    moreButton.hidden = !nextCursor;
  }

  /** The first page for `filters`, or the next one (`cursor`) with the filters applied. */
  async function load(filters, { cursor = null } = {}) {
    const mine = ++generation;
    if (!cursor) message.textContent = t("common.loading");
    applyButton.disabled = true;
    moreButton.disabled = true;
    try {
      const result = await api.audit({ ...filters, cursor });
      if (!alive || mine !== generation) return;
      const page = Array.isArray(result?.entries) ? result.entries : [];
      const seen = new Set(cursor ? entries.map((entry) => entry.entry_id) : []);
      entries = cursor ? [...entries, ...page.filter((entry) => !seen.has(entry.entry_id))] : page;
      applied = { ...filters };
      nextCursor = result?.next_cursor || null;
      showError(null);
      paint();
    } catch (error) {
      if (!alive || mine !== generation) return;
      if (error.status === 400 && !cursor) {
        // The filters were refused: what is shown stays as it was asked for.
        showError(error);
        paint();
        return;
      }
      if (cursor) {
        toastError(error);
        return;
      }
      entries = [];
      nextCursor = null;
      tbody.replaceChildren();
      countLabel.textContent = "";
      moreButton.hidden = true;
      message.textContent = error.missingRoute
        ? t("common.unavailable", { message: `HTTP ${error.status}` })
        : t("common.error", { message: error.message });
    } finally {
      if (alive && mine === generation) {
        applyButton.disabled = false;
        moreButton.disabled = false;
      }
    }
  }

  function apply() {
    load(readForm());
  }

  function reset() {
    fromInput.value = "";
    toInput.value = "";
    actionSelect.value = "";
    load({ ...NO_FILTERS });
  }

  function more() {
    if (nextCursor) load(applied, { cursor: nextCursor });
  }

  load({ ...NO_FILTERS });
  return { destroy: () => { alive = false; } };
}
