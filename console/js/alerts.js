// Alerts (R-ALERT-1): what tells an operator, even with the console in a background
// tab, that a chat was assigned to them, a customer wrote in a chat they are not
// reading, or an offline-message ticket came in. Four ways:
//   - a short blip made with Web Audio (no audio file); browsers allow sound only
//     after a user gesture, so the AudioContext is made on the first click or key
//     anywhere; each operator can turn it off (remembered per operator);
//   - a desktop notification, while the tab is hidden or unfocused; permission is
//     asked only from the header's "Enable desktop notifications" button;
//   - the count in the tab title, "(3) Operator console · Help desk";
//   - a red dot on the favicon while that count is above zero.
// An assigned chat still not opened alerts again every 30 s until it is.
// The store keeps the counts; this module watches the page (which chat is on screen,
// whether the tab is visible and focused) and tells the store what is being read.

import { h, svg } from "./dom.js";
import { lang, t } from "./i18n.js";
import * as session from "./session.js";
import * as store from "./store.js";
import { toast } from "./ui/toast.js";

const REALERT_MS = 30000; // an unopened assigned chat alerts again this often
const TICK_MS = 1000; // how often the reminders look (a background tab may be slower)
const BODY_MAX = 120; // characters of a message in a notification
const BLIP_GAP_MS = 800; // several alerts at once make one sound
const SOUND_KEY = "console.alerts.sound"; // + ".<operator_id>" in localStorage

let running = false;
let unsubscribers = [];
let ticker = null;
let titleBase = document.title;
let favicon = null; // {link, href}: the page's icon and its own href
let audio = null; // the AudioContext, once a click or key allowed it
let lastBlip = 0;
const reminders = new Map(); // chat_id -> when it last alerted, while it is "assigned"
const shown = new Map(); // notification tag -> Notification
const soundListeners = new Set();

// --- the page: which chat is on screen, and is anyone looking ------------------------------

/** The tab is in front and has the focus (not another tab, window or app). */
export function attentive() {
  return document.visibilityState === "visible" && document.hasFocus();
}

function chatOnScreen() {
  const found = location.hash.match(/^#\/chats\/([^/?]+)/);
  return found ? decodeURIComponent(found[1]) : null;
}

function updateReading() {
  store.setReading(attentive() ? chatOnScreen() : null);
  paint();
}

// --- sound ------------------------------------------------------------------------------

function soundKey() {
  return `${SOUND_KEY}.${session.operator()?.operator_id || "anonymous"}`;
}

export function soundOn() {
  return localStorage.getItem(soundKey()) !== "off";
}

export function setSound(on) {
  localStorage.setItem(soundKey(), on ? "on" : "off");
  for (const listener of soundListeners) listener(on);
}

/** Browsers refuse audio until the page has had a gesture: the first click or key
 * anywhere (the sign-in button counts) makes or resumes the AudioContext. */
function allowAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context || audio?.state === "running") return;
  try {
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  } catch {
    audio = null; // no audio on this device: the other alerts still work
  }
}

document.addEventListener("pointerdown", allowAudio, true);
document.addEventListener("keydown", allowAudio, true);

/** Two short rising tones (about a quarter of a second). */
function blip() {
  const now = Date.now();
  if (!soundOn() || !audio || now - lastBlip < BLIP_GAP_MS) return;
  if (audio.state !== "running") {
    audio.resume().catch(() => {});
    return;
  }
  lastBlip = now;
  const at = audio.currentTime;
  const tone = audio.createOscillator();
  const volume = audio.createGain();
  tone.type = "sine";
  tone.frequency.setValueAtTime(880, at);
  tone.frequency.setValueAtTime(1320, at + 0.1);
  volume.gain.setValueAtTime(0.0001, at);
  volume.gain.exponentialRampToValueAtTime(0.25, at + 0.015);
  volume.gain.exponentialRampToValueAtTime(0.0001, at + 0.26);
  tone.connect(volume).connect(audio.destination);
  tone.start(at);
  tone.stop(at + 0.28);
}

// --- desktop notifications ---------------------------------------------------------------

function notificationsSupported() {
  return "Notification" in window;
}

function truncate(text, max = BODY_MAX) {
  const flat = String(text || "").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A notification while nobody looks at the tab; one per `tag` (a chat's replace
 * each other). Clicking it brings the console forward at `hash`. */
function notify({ title, body, tag, hash }) {
  if (!notificationsSupported() || Notification.permission !== "granted" || attentive()) return;
  let notification;
  try {
    notification = new Notification(title, { body, tag, renotify: true, lang: lang() });
  } catch {
    return; // e.g. a browser that shows notifications only from a service worker
  }
  shown.get(tag)?.close();
  shown.set(tag, notification);
  notification.onclick = () => {
    window.focus();
    location.hash = hash;
    notification.close();
  };
  notification.onclose = () => {
    if (shown.get(tag) === notification) shown.delete(tag);
  };
}

function closeNotification(tag) {
  shown.get(tag)?.close();
  shown.delete(tag);
}

// --- what alerts ------------------------------------------------------------------------

function customerName(chat) {
  return chat?.customer?.name || t("chat.anonymous");
}

function chatTag(chatId) {
  return `chat-${chatId}`;
}

function chatHash(chatId) {
  return `#/chats/${encodeURIComponent(chatId)}`;
}

function alertAssigned(chat, { transferredFrom, fromName, note, again = false } = {}) {
  reminders.set(chat.chat_id, Date.now());
  blip();
  let body = t("top.newChat");
  if (again) {
    body = t("alerts.stillWaiting");
  } else if (transferredFrom) {
    body = t("alerts.transferred", { name: fromName || t("alerts.someone") });
    if (note?.text) body = `${body}: ${truncate(note.text)}`;
  }
  notify({ title: customerName(chat), body, tag: chatTag(chat.chat_id), hash: chatHash(chat.chat_id) });
}

function alertMessage(chat, message) {
  blip();
  const text = message.text || message.attachment?.filename || "";
  notify({ title: customerName(chat), body: truncate(text), tag: chatTag(chat.chat_id), hash: chatHash(chat.chat_id) });
}

function alertTicket(ticket) {
  const title = t("alerts.ticket", { number: ticket.number ?? "" });
  const hash = `#/tickets/${encodeURIComponent(ticket.ticket_id)}`;
  blip();
  notify({ title, body: truncate(ticket.subject), tag: `ticket-${ticket.ticket_id}`, hash });
  if (attentive()) toast(title, { action: { label: t("ticket.open"), run: () => { location.hash = hash; } } });
}

function onAlert(alert) {
  if (alert.kind === "assigned" && alert.chat) alertAssigned(alert.chat, alert);
  else if (alert.kind === "message" && alert.chat && alert.message) alertMessage(alert.chat, alert.message);
  else if (alert.kind === "ticket" && alert.ticket?.ticket_id) alertTicket(alert.ticket);
}

/** Every second: an assigned chat not opened for 30 s since its last alert alerts
 * again (measured by the clock, so a throttled background timer catches up). */
function remind() {
  const now = Date.now();
  for (const chat of store.state.chats.values()) {
    if (chat.status !== "assigned") continue;
    const last = reminders.get(chat.chat_id);
    if (last === undefined) reminders.set(chat.chat_id, now); // found after a reload: from now
    else if (now - last >= REALERT_MS) alertAssigned(chat, { again: true });
  }
  for (const chatId of [...reminders.keys()]) {
    if (store.state.chats.get(chatId)?.status !== "assigned") reminders.delete(chatId);
  }
}

// --- the tab: title and favicon ------------------------------------------------------------

// The console's icon (index.html's) with a red dot; the CSP allows data: images.
const DOTTED_ICON = `data:image/svg+xml,${encodeURIComponent(
  "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'>"
  + "<path fill='#2563eb' d='M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z'/>"
  + "<circle id='unread-dot' cx='18.5' cy='5.5' r='5' fill='#dc2626' stroke='#fff' stroke-width='1.5'/></svg>",
)}`;

function setFaviconDot(on) {
  if (!favicon) {
    const link = document.querySelector("link[rel~='icon']");
    if (!link) return;
    favicon = { link, href: link.getAttribute("href") };
  }
  const wanted = on ? DOTTED_ICON : favicon.href;
  if (favicon.link.getAttribute("href") !== wanted) favicon.link.setAttribute("href", wanted);
}

function paint() {
  const count = running ? store.attentionCount() : 0;
  const title = count > 0 ? `(${count}) ${titleBase}` : titleBase;
  if (document.title !== title) document.title = title;
  setFaviconDot(count > 0);
}

/** The title without the count (it changes with the language). */
export function setTitleBase(title) {
  titleBase = title;
  paint();
}

function closeReadNotifications() {
  for (const tag of [...shown.keys()]) {
    if (!tag.startsWith("chat-")) continue;
    const chat = store.state.chats.get(tag.slice(5));
    if (!chat || (!chat.unread && chat.status !== "assigned")) closeNotification(tag);
  }
}

// --- while signed in ----------------------------------------------------------------------

export function start() {
  if (running) return;
  running = true;
  const listen = (target, type, handler) => {
    target.addEventListener(type, handler);
    return () => target.removeEventListener(type, handler);
  };
  unsubscribers = [
    store.on("alert", onAlert),
    store.on("unread", paint),
    store.on("chats", () => {
      paint();
      closeReadNotifications();
    }),
    listen(window, "hashchange", updateReading),
    listen(window, "focus", updateReading),
    listen(window, "blur", updateReading),
    listen(window, "pageshow", updateReading),
    listen(document, "visibilitychange", updateReading),
  ];
  ticker = setInterval(remind, TICK_MS);
  updateReading();
}

export function stop() {
  if (!running) return;
  running = false;
  for (const unsubscribe of unsubscribers) unsubscribe();
  unsubscribers = [];
  clearInterval(ticker);
  ticker = null;
  reminders.clear();
  for (const tag of [...shown.keys()]) closeNotification(tag);
  paint();
}

// --- the header's buttons ---------------------------------------------------------------

function bellIcon(on) {
  const paths = ["M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9", "M13.7 21a2 2 0 0 1-3.4 0"];
  if (!on) paths.push("M3 3l18 18");
  return svg(
    "svg",
    { class: "icon", width: 18, height: 18, viewBox: "0 0 24 24", "aria-hidden": "true", fill: "none",
      stroke: "currentColor", "stroke-width": 1.8, "stroke-linecap": "round", "stroke-linejoin": "round" },
    paths.map((d) => svg("path", { d })),
  );
}

/** The sound on/off toggle and, while the browser has not been asked yet, the
 * button that asks for notification permission. Returns the elements for the top
 * bar and a function that detaches them from the state they follow. */
export function headerControls() {
  const cleanups = [];
  let detached = false;
  const soundLabel = h("span", {}, t("alerts.sound"));
  const soundButton = h("button", {
    class: "btn btn-ghost btn-sm sound-toggle",
    type: "button",
    "data-testid": "sound-toggle",
    onclick: () => setSound(!soundOn()),
  });
  const paintSound = () => {
    const on = soundOn();
    soundButton.setAttribute("aria-pressed", String(on));
    soundButton.title = t(on ? "alerts.soundOnHelp" : "alerts.soundOffHelp");
    soundButton.replaceChildren(bellIcon(on), soundLabel);
  };
  paintSound();
  soundListeners.add(paintSound);
  cleanups.push(() => soundListeners.delete(paintSound));

  const enableButton = h(
    "button",
    {
      class: "btn btn-ghost btn-sm notify-enable",
      type: "button",
      "data-testid": "enable-notifications",
      onclick: async () => {
        try {
          const answer = await Notification.requestPermission();
          if (answer === "denied") toast(t("alerts.notificationsBlocked"), { kind: "error" });
        } catch {
          // An old browser without the promise form: nothing asked.
        }
        paintPermission();
      },
    },
    bellIcon(true),
    h("span", {}, t("alerts.enableNotifications")),
  );
  const paintPermission = () => {
    enableButton.hidden = !notificationsSupported() || Notification.permission !== "default";
  };
  paintPermission();
  // The choice may change in the browser's site settings while the console is open.
  navigator.permissions?.query({ name: "notifications" }).then((status) => {
    if (detached) return;
    status.addEventListener("change", paintPermission);
    cleanups.push(() => status.removeEventListener("change", paintPermission));
  }).catch(() => {});

  return {
    elements: [soundButton, enableButton],
    cleanup: () => {
      detached = true;
      for (const cleanup of cleanups) cleanup();
    },
  };
}
