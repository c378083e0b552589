// The console's entry point: the shell (top bar, navigation), the hash router, and
// the guard that keeps unsaved edits from being lost by navigating away.

import * as alerts from "./alerts.js";
import { api, whenUnauthorized } from "./api.js";
import { h, icon, mount } from "./dom.js";
import {
  LANGUAGES, browserTimeZone, lang, onLangChange, onTimeZoneChange, setLang, setTimeZone, t, timeZone, zoneDiffers,
} from "./i18n.js";
import * as session from "./session.js";
import * as store from "./store.js";
import { confirmDialog } from "./ui/dialog.js";
import { toast, toastError } from "./ui/toast.js";
import * as auditView from "./views/audit.js";
import * as blocksView from "./views/blocks.js";
import * as cannedView from "./views/canned.js";
import * as categoriesView from "./views/categories.js";
import * as chatsView from "./views/chats.js";
import * as historyView from "./views/history.js";
import * as loginView from "./views/login.js";
import * as monitorView from "./views/monitor.js";
import * as operatorsView from "./views/operators.js";
import * as outboxView from "./views/outbox.js";
import * as privacyView from "./views/privacy.js";
import * as settingsView from "./views/settings.js";
import * as statsView from "./views/stats.js";
import * as ticketsView from "./views/tickets.js";
import * as webhooksView from "./views/webhooks.js";

const ROUTES = [
  { path: "/login", view: loginView, public: true },
  { path: "/chats", view: chatsView, nav: "chats" },
  { path: "/chats/:id", view: chatsView, nav: "chats" },
  { path: "/history", view: historyView, nav: "history" },
  { path: "/tickets", view: ticketsView, nav: "tickets" },
  { path: "/tickets/:id", view: ticketsView, nav: "tickets" },
  { path: "/canned", view: cannedView, nav: "canned" },
  { path: "/stats", view: statsView, nav: "stats" },
  { path: "/outbox", view: outboxView, nav: "outbox" },
  { path: "/monitor", view: monitorView, nav: "monitor", admin: true },
  { path: "/blocks", view: blocksView, nav: "blocks", admin: true },
  { path: "/webhooks", view: webhooksView, nav: "webhooks", admin: true },
  { path: "/audit", view: auditView, nav: "audit", admin: true },
  { path: "/privacy", view: privacyView, nav: "privacy", admin: true },
  { path: "/admin/settings", view: settingsView, nav: "settings", admin: true },
  { path: "/admin/categories", view: categoriesView, nav: "categories", admin: true },
  { path: "/admin/operators", view: operatorsView, nav: "operators", admin: true },
];

const NAV = [
  { id: "chats", href: "#/chats", icon: "chat", label: "nav.chats" },
  { id: "history", href: "#/history", icon: "history", label: "nav.history" },
  { id: "tickets", href: "#/tickets", icon: "ticket", label: "nav.tickets" },
  { id: "canned", href: "#/canned", icon: "canned", label: "nav.canned" },
  { id: "stats", href: "#/stats", icon: "stats", label: "nav.stats" },
];
// The local stack's mail outbox: linked only when the console runs on this computer.
const LOCAL_NAV = [
  { id: "outbox", href: "#/outbox", icon: "mail", label: "nav.outbox" },
];
const ADMIN_NAV = [
  { id: "monitor", href: "#/monitor", icon: "monitor", label: "nav.monitor" },
  { id: "settings", href: "#/admin/settings", icon: "settings", label: "nav.settings" },
  { id: "categories", href: "#/admin/categories", icon: "tree", label: "nav.categories" },
  { id: "operators", href: "#/admin/operators", icon: "users", label: "nav.operators" },
  { id: "blocks", href: "#/blocks", icon: "block", label: "nav.blocks" },
  { id: "webhooks", href: "#/webhooks", icon: "webhook", label: "nav.webhooks" },
  { id: "audit", href: "#/audit", icon: "audit", label: "nav.audit" },
  { id: "privacy", href: "#/privacy", icon: "privacy", label: "nav.privacy" },
];

const root = document.getElementById("app");
let shell = null; // {main, nav links, top bar parts} while signed in
let active = null; // {route, params, instance}
let currentHash = "";
let ignoreNextHash = false;
let unsubscribers = [];
let baseTitle = document.title;

function match(hash) {
  const path = (hash.replace(/^#/, "") || "/chats").split("?")[0];
  for (const route of ROUTES) {
    const names = [];
    const pattern = new RegExp(
      `^${route.path.replace(/:(\w+)/g, (_, name) => { names.push(name); return "([^/]+)"; })}$`,
    );
    const found = path.match(pattern);
    if (found) {
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
      return { route, params };
    }
  }
  return null;
}

function isDirty() {
  return Boolean(active?.instance?.isDirty?.());
}

/** Ask before unsaved edits are lost; true when it is fine to go on. */
export async function mayLeave() {
  if (!isDirty()) return true;
  return confirmDialog({
    title: t("info.unsaved"),
    message: t("info.leaveDirty"),
    confirmLabel: t("info.leave"),
    danger: true,
  });
}

window.addEventListener("beforeunload", (event) => {
  if (isDirty()) {
    event.preventDefault();
    event.returnValue = "";
  }
});

async function onHashChange() {
  if (ignoreNextHash) {
    ignoreNextHash = false;
    return;
  }
  const hash = location.hash || "#/chats";
  if (active && hash !== currentHash && !(await mayLeave())) {
    ignoreNextHash = true;
    location.hash = currentHash;
    return;
  }
  await show(hash);
}

/** Put `hash` in the address bar without showing the screen again (a screen's own
 * state, such as the tickets' filters, that a reload should keep). */
export function replaceHash(hash) {
  history.replaceState(history.state, "", hash);
  currentHash = hash;
}

/** Navigate without asking (the caller already did, e.g. after End chat). */
export function go(hash) {
  if (location.hash === hash) {
    show(hash);
    return;
  }
  ignoreNextHash = true;
  location.hash = hash;
  show(hash);
}

async function show(hash) {
  currentHash = hash;
  const found = match(hash);
  const signed = session.current();
  if (!signed && !found?.route.public) {
    location.replace("#/login");
    return;
  }
  if (signed && found?.route.public) {
    location.replace("#/chats");
    return;
  }
  active?.instance?.destroy?.();
  active = null;
  if (found?.route.public) {
    teardownShell();
    const instance = found.route.view.render(root, found.params, { onSignedIn: startSession });
    active = { ...found, instance };
    return;
  }
  if (!shell) buildShell();
  markNav(found?.route.nav);
  if (!found) {
    mount(shell.main, h("div", { class: "empty-state" }, h("h1", {}, t("common.notFound"))));
    return;
  }
  if (found.route.admin && !session.isAdmin()) {
    mount(shell.main, h("div", { class: "empty-state forbidden", "data-testid": "admin-only" },
      h("h1", {}, t("common.adminOnly")), h("p", {}, t("common.adminOnlyHelp"))));
    return;
  }
  shell.main.replaceChildren();
  const instance = found.route.view.render(shell.main, found.params, { go, mayLeave, replaceHash });
  active = { ...found, instance };
}

// --- the shell ------------------------------------------------------------------------

function buildShell() {
  const operator = session.operator() || {};
  const statusSelect = h(
    "select",
    {
      class: ["status-select", `status-${store.state.status}`],
      "aria-label": t("top.status"),
      "data-testid": "status",
      value: store.state.status,
      onchange: async (event) => {
        const wanted = event.target.value;
        const before = store.state.status;
        try {
          const result = await api.setStatus(wanted);
          store.setStatus(result?.status || wanted);
        } catch (error) {
          event.target.value = before;
          toastError(error);
        }
      },
    },
    ["online", "break", "offline"].map((status) => h("option", { value: status }, t(`status.${status}`))),
  );
  const count = h("span", { class: "chat-count", "data-testid": "in-chat-count" }, String(store.inChatCount()));
  const chatIcon = h(
    "a",
    {
      class: ["chat-icon", store.state.blinking && "blinking"],
      href: "#/chats",
      "data-testid": "chat-icon",
      title: t("top.chatIcon", { count: store.inChatCount() }),
      onclick: () => store.setBlinking(false),
    },
    icon("chat", 20),
    h("span", { class: "chat-icon-label" }, t("top.inChat")),
    count,
  );
  const connection = h("span", { class: "conn conn-offline", "data-testid": "connection" }, t("conn.offline"));
  // Every time shown is the service's (R-TZ-1): said here when this computer's zone differs.
  const zoneNote = h("span", { class: "zone-note", "data-testid": "zone-note" });
  const paintZone = () => {
    zoneNote.hidden = !zoneDiffers();
    zoneNote.textContent = t("time.zoneNote", { zone: timeZone() });
    zoneNote.title = t("time.zoneHelp", { zone: timeZone(), browser: browserTimeZone() });
  };
  paintZone();
  const languageSelect = h(
    "select",
    {
      class: "lang-select",
      "aria-label": t("top.language"),
      value: lang(),
      onchange: async (event) => {
        if (!(await mayLeave())) {
          event.target.value = lang();
          return;
        }
        setLang(event.target.value);
      },
    },
    LANGUAGES.map(({ code, label }) => h("option", { value: code }, label)),
  );
  const navLink = (item) =>
    h("a", { class: "nav-link", href: item.href, "data-nav": item.id }, icon(item.icon), h("span", {}, t(item.label)));

  // Sound on/off and "Enable desktop notifications" (R-ALERT-1).
  const alertControls = alerts.headerControls();
  const main = h("main", { class: "main", id: "main" });
  const nav = h(
    "nav",
    { class: "sidebar", "aria-label": t("app.console") },
    NAV.map(navLink),
    outboxView.available() ? LOCAL_NAV.map(navLink) : null,
    session.isAdmin()
      ? [h("div", { class: "nav-heading", "data-testid": "admin-nav" }, t("nav.admin")), ADMIN_NAV.map(navLink)]
      : null,
  );
  const top = h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: "#/chats" }, h("span", { class: "brand-mark" }, icon("chat", 18)), h("span", {}, t("app.name"))),
    h("div", { class: "status-box" }, h("span", { class: `status-dot status-${store.state.status}` }), statusSelect),
    chatIcon,
    connection,
    zoneNote,
    h("div", { class: "spacer" }),
    h("div", { class: "alert-controls" }, alertControls.elements),
    languageSelect,
    h("div", { class: "who" },
      h("span", { class: "who-name", "data-testid": "operator-name" }, operator.name || operator.email || ""),
      h("span", { class: "who-role" }, t(`role.${operator.role || "operator"}`))),
    h("button", { class: "btn btn-ghost", type: "button", "data-testid": "logout", onclick: signOut }, icon("logout"), h("span", {}, t("top.logout"))),
  );
  mount(root, h("div", { class: "shell" }, top, nav, main));
  shell = { main, nav, statusSelect, count, chatIcon, connection };

  unsubscribers.push(
    alertControls.cleanup,
    onTimeZoneChange(paintZone),
    store.on("status", (status) => {
      statusSelect.value = status;
      statusSelect.className = `status-select status-${status}`;
      top.querySelector(".status-dot").className = `status-dot status-${status}`;
    }),
    store.on("chats", () => {
      count.textContent = String(store.inChatCount());
      chatIcon.title = t("top.chatIcon", { count: store.inChatCount() });
    }),
    store.on("blink", (blinking) => {
      // The tab title counts what is waiting (alerts.js).
      chatIcon.classList.toggle("blinking", blinking);
    }),
    store.on("connection", (value) => {
      connection.className = `conn conn-${value}`;
      connection.textContent = t(`conn.${value}`);
    }),
    store.on("assigned", (chat) => {
      toast(t("chat.newAssigned", { name: chat.customer?.name || t("chat.anonymous") }), {
        action: { label: t("nav.chats"), run: () => { location.hash = `#/chats/${encodeURIComponent(chat.chat_id)}`; } },
      });
    }),
  );
  const state = store.state.socket?.state || "offline";
  connection.className = `conn conn-${state}`;
  connection.textContent = t(`conn.${state}`);
}

function teardownShell() {
  for (const unsubscribe of unsubscribers) unsubscribe();
  unsubscribers = [];
  shell = null;
}

function markNav(id) {
  for (const link of shell.nav.querySelectorAll(".nav-link")) {
    link.classList.toggle("active", link.dataset.nav === id);
    if (link.dataset.nav === id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

// --- session ---------------------------------------------------------------------------

async function startSession() {
  try {
    const me = await api.me();
    session.updateOperator({ name: me.name, email: me.email, role: me.role, operator_id: me.operator_id });
    setTimeZone(me.timezone);
    store.setServiceName(me.service_name);
    store.setAttachmentLimits(me.attachments);
    store.setStatus(me.status || "offline");
  } catch (error) {
    if (error.status === 401) return;
    toastError(error);
  }
  store.connect();
  alerts.start();
  store.refreshChats().catch(() => {});
  if (!location.hash || location.hash === "#/login") location.replace("#/chats");
  else show(location.hash);
}

async function signOut() {
  if (!(await mayLeave())) return;
  try {
    await api.logout();
  } catch {
    // The token is dropped here either way.
  }
  endSession();
}

function endSession(message) {
  alerts.stop();
  store.disconnect();
  active?.instance?.destroy?.();
  active = null;
  teardownShell();
  session.signedOut();
  alerts.setTitleBase(baseTitle);
  if (location.hash === "#/login") show("#/login");
  else location.replace("#/login");
  if (message) toast(message, { kind: "error" });
}

whenUnauthorized(() => {
  if (session.current()) endSession(t("login.expired"));
});

// The server closes an operator's sockets when the account changes (sign-out
// elsewhere, a new password, deletion, another role). The socket then asks for
// a new ticket: a 401 ends the session above; a session that still works may
// come back with another role, and the shell follows it.
store.on("reconnected", async () => {
  if (!session.current()) return;
  let me;
  try {
    me = await api.me();
  } catch {
    return; // a 401 has ended the session already
  }
  const before = session.operator()?.role;
  session.updateOperator({ name: me.name, email: me.email, role: me.role, operator_id: me.operator_id });
  setTimeZone(me.timezone);
  store.setServiceName(me.service_name);
  store.setAttachmentLimits(me.attachments);
  if (me.role !== before && shell && !isDirty()) {
    teardownShell();
    active?.instance?.destroy?.();
    active = null;
    show(location.hash || "#/chats");
  }
});

session.onSessionChange((value) => {
  // Signed out in another tab.
  if (!value && shell) endSession();
});

onLangChange(() => {
  baseTitle = `${t("app.console")} · ${t("app.name")}`;
  alerts.setTitleBase(baseTitle);
  if (shell) {
    teardownShell();
    active?.instance?.destroy?.();
    active = null;
    show(location.hash || "#/chats");
  } else if (active?.route.public) {
    show(location.hash);
  }
});

window.addEventListener("hashchange", onHashChange);

async function boot() {
  baseTitle = `${t("app.console")} · ${t("app.name")}`;
  alerts.setTitleBase(baseTitle);
  await session.borrowFromOtherTab();
  if (session.current()) await startSession();
  else show(location.hash || "#/login");
}

boot();
