// The chat UI inside the widget's iframe: it decides which screen to show,
// starts and resumes the chat over the socket, and keeps the transcript exact.
//
// Flow (API.md): GET config → closed view (outside business hours), absent
// popup (nobody online; both offer the offline message form; away.js, loaded
// only then), consent screen, or straight back into an open chat (POST session
// returns it) → WebSocket: chat.start after consent, chat.resume {after_seq} on
// every (re)connect, then the outbox is sent one message at a time, each with
// its client_msg_id. While a chat is open, the loader on the host page reports
// the pages the customer visits, sent on as `page.view` (R-VIS-1). A visitor the
// service refuses (`blocked`) gets a neutral "not available" view.
//
// This page is served by the API (GET /widget/{key}/frame). The API base and
// the widget key come from its <meta> tags, fixed when the app was deployed;
// the URL only says the host page's language, origin and address, so a crafted
// link cannot send the visitor token to another API.

import { widgetApi } from './api.js';
import { bridge } from './bridge.js';
import { ConversationView } from './conversation.js';
import { h, mount } from './dom.js';
import { chooseLanguage, translator } from './i18n.js';
import { rating } from './rating.js';
import { ReconnectingSocket } from './shared/socket.js';
import { storage } from './storage.js';
import { ChatStore } from './store.js';
import * as views from './views.js';

const SESSION_FRESH_MS = 45 * 1000; // tickets live 60 s
const ACK_WITHIN_MS = 15 * 1000;
const RETRY_SEND_MS = 2000;
const RETRYABLE = new Set(['rate_limited', 'busy', 'internal_error']);
// chat.start refused for now: the absent view says why (away.js), with the
// inquiry form. (Refused `outside_hours`, the closed view shows when it opens.)
const REFUSED = ['queue_full', 'too_many_chats'];

const params = new URLSearchParams(location.search);
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') || '';
const widgetKey = meta('helpdesk-widget-key');
const apiBase = meta('helpdesk-api');
const saved = storage(widgetKey);
const drafts = storage(widgetKey, 'sessionStorage'); // the offline message being written
const api = widgetApi(apiBase, widgetKey);
const store = new ChatStore(saved);
const root = document.getElementById('app');
const host = bridge(params.get('host'), command);

const state = {
  config: null,
  lang: 'en',
  t: translator('en'),
  screen: 'loading',
  focused: null,
  open: false,
  user: null,
  wantLang: null,
  chat: null,
  status: '',
  session: null,
  starting: null,
  startFailed: false,
  refused: null, // why the server would not start a chat (a REFUSED key, or outside_hours)
  nextOpenAt: null, // from a chat.start refused outside_hours
  draft: { name: '', email: '' }, // what the customer typed on the consent screen
  offline: drafts.get('offline') || {}, // the offline message: what is typed, or `received`
  mail: null, // the ended chat's transcript by email: {email, busy, sent, error}
  synced: false,
  inflight: null,
  unread: 0,
  rating: { prompt: null, busy: false, done: false, back: 'chat' },
  transcript: [], // the messages of the chat that has just ended, still shown
};
let conversation = null;
let away = null; // away.js, once nobody can chat (see "nobody to chat with" below)
let files = null; // files.js, once a file is shown or attached (see "files" below)
let filesLoading = null;

const socket = new ReconnectingSocket({
  connectUrl,
  onOpen: () => {
    state.synced = false;
    if (store.chatId) {
      send({ type: 'chat.resume', id: 'resume', chat_id: store.chatId, after_seq: store.resumeAfter });
    } else if (state.starting) {
      send({ type: 'chat.start', id: 'start', consent: true, ...state.starting });
    }
  },
  onFrame: (frame) => (FRAMES[frame.type] || (() => {}))(frame),
  onDown: () => {
    state.synced = false;
    state.inflight = null;
    setStatus(state.t('reconnecting'));
  },
  onFatal: unavailable,
});

// --- the host page ------------------------------------------------------------

// The loader answers `ready` with every queued command, then opened/closed.
let greeted;
const hostGreeted = new Promise((resolve) => {
  greeted = resolve;
  setTimeout(resolve, 1500); // not framed by the loader (opened directly): go on
});

function command(message) {
  if (message.type === 'opened' || message.type === 'closed') greeted();
  if (message.type === 'opened') {
    state.open = true;
    state.unread = 0;
    host.post('unread', { count: 0 });
    focusScreen(true);
  } else if (message.type === 'closed') {
    state.open = false;
  } else if (message.type === 'page') {
    pageView(message);
  } else if (message.type === 'identify') {
    state.user = identity(message.value);
  } else if (message.type === 'language' && typeof message.value === 'string') {
    state.wantLang = message.value;
    if (state.config) setLanguage(message.value, true);
  } else if (message.type === 'reset') {
    socket.stop();
    saved.remove('visitor');
    drafts.remove('offline');
    store.forget();
    Object.assign(state, { user: null, chat: null, synced: false, inflight: null, transcript: [],
      offline: {}, mail: null });
    conversation = null;
    host.post('chatting', { value: false });
    if (state.config) decide();
  }
}

function identity(value) {
  if (!value || typeof value !== 'object') return null;
  const user = {};
  for (const field of ['id', 'name', 'email', 'hash']) {
    if (value[field] != null && value[field] !== '') user[field] = String(value[field]);
  }
  return Object.keys(user).length ? user : null;
}

// --- screens ------------------------------------------------------------------

function go(screen) {
  state.screen = screen;
  render();
}

function render() {
  const t = state.t;
  document.documentElement.lang = state.lang;
  document.title = t('title');
  const awayView = (state.screen === 'absent' || state.screen === 'closed') && away;
  // A card as high as its text; with the offline form, the whole panel.
  const compact = state.screen === 'unavailable' ||
    (awayView && !(state.config?.offline_form && !state.offline.received));
  const inChat = state.screen === 'chat';
  const on = {
    language: (code) => {
      setLanguage(code, true);
      root.querySelector('select.lang')?.focus(); // the menu was drawn anew
    },
    minimize: () => host.post('close'),
    rate: () => openRating(null),
    end: () => conversation?.confirmEnd(true),
  };
  const head = views.header(t, {
    title: awayView ? awayView.title(app) : t('title'),
    status: inChat ? state.status : '',
    languages: state.config?.languages || [],
    lang: state.lang,
    tools: inChat,
    rate: canRate(),
    on,
  });
  root.className = compact ? 'compact' : 'panel';
  mount(root, head, h('main', { class: 'screen' }, awayView ? awayView.view(app) : body(t)));
  // A transcript put back on screen (after the rating, at the end) shows its latest.
  if (conversation?.el.isConnected) conversation.log.scrollTop = conversation.log.scrollHeight;
  host.post('size', { height: compact ? root.scrollHeight : 0 });
  focusScreen(false);
}

function body(t) {
  switch (state.screen) {
    case 'consent':
      return views.consent(t, state.config, {
        consent: serviceText('consent_text'),
        identified: !!(state.user && (state.user.name || state.user.email)),
        busy: !!state.starting,
        failed: state.startFailed,
        draft: state.draft,
        start: startChat,
      });
    case 'chat':
      return conversationView().el;
    case 'rating':
      return rating(t, { ...state.rating, returnsTo: state.rating.back, submit: submitRating,
        back: closeRating });
    case 'ended': {
      // The conversation stays on screen above the actions (R-WID-9).
      const actions = views.ended(t, { rated: state.rating.done, canRate: canRate(),
        rate: () => openRating(null), restart,
        mail: state.mail && views.transcriptForm(t, state.mail, requestTranscript) });
      const view = conversationView();
      return view.hasMessages ? view.end(actions).el : h('div', { class: 'body ended-alone' }, actions);
    }
    case 'unavailable':
      return views.unavailable(t);
    case 'error':
      return views.problem(t, { text: 'error', retry: boot });
    default:
      return views.loading(t);
  }
}

/** Move focus into a screen once, when it first shows (or the chat is opened). */
function focusScreen(force) {
  if (!state.open || (!force && state.focused === state.screen)) return;
  state.focused = state.screen;
  const wanted = ['#hdc-input', '[data-action=consent]', 'input[name=score]', '#hdc-unavailable',
    '#hdc-offline-received', '[data-action=inquiry]', '#hdc-offline input', '[data-action=restart]',
    '.body button', '.head button'];
  const target = wanted.map((selector) => root.querySelector(selector)).find(Boolean);
  // Away, the message and the hours head the panel, above the offline form and
  // the links: focus without scrolling them out of sight.
  target?.focus({ preventScroll: state.screen === 'absent' || state.screen === 'closed' });
}

/** A text the service wrote for its customers (`consent_text`, `away_message`),
 * in the UI's language where the service has one: {text, lang}, `lang` being the
 * language it is really in, for the element's `lang` attribute (R-I18N-2). */
function serviceText(name) {
  const config = state.config || {};
  const texts = config.texts?.[state.lang];
  if (texts) return { text: texts[name] || '', lang: texts.lang?.[name] || state.lang };
  return { text: config[name] || '', lang: config.default_language || state.lang };
}

function setStatus(text) {
  state.status = text;
  const line = root.querySelector('#hdc-status');
  if (line && state.screen === 'chat') line.textContent = text;
}

function conversationView() {
  if (!conversation) {
    const limits = state.config?.attachments;
    conversation = new ConversationView(state.t, state.lang, {
      send: sendText,
      typing: () => state.synced && send({ type: 'typing', chat_id: store.chatId }),
      leave,
      files: { types: limits?.enabled && limits.types, use: withFiles },
    });
    // After the end the store has let go of the chat; its transcript stays shown.
    (store.chatId ? store.ordered() : state.transcript).forEach((m) => conversation.message(m));
    store.outbox.forEach((item) => conversation.pending(item));
    files?.show();
  }
  return conversation;
}

function setLanguage(code, chosen) {
  const offered = state.config?.languages || [];
  if (!offered.includes(code)) return;
  if (chosen) saved.set('language', code);
  state.lang = code;
  state.t = translator(code);
  const draft = conversation?.input.value;
  conversation = null; // rebuilt in the new language from the store
  host.post('label', { text: state.t('launcher') });
  if (state.chat) setStatus(chatStatus(state.chat));
  render();
  if (draft) conversationView().input.value = draft;
}

// --- starting -----------------------------------------------------------------

async function boot() {
  state.refused = null;
  state.nextOpenAt = null;
  go('loading');
  if (!apiBase || !widgetKey) return go('unavailable'); // not the page the API serves
  try {
    [state.config] = await Promise.all([api.config(), hostGreeted]);
  } catch {
    return go('error');
  }
  if (!state.config.enabled) {
    host.post('disabled');
    return go('unavailable');
  }
  const lang = chooseLanguage(state.config.languages, {
    chosen: state.wantLang || saved.get('language'),
    page: params.get('lang'),
    browser: [...(navigator.languages || [])],
    fallback: state.config.default_language,
  });
  state.lang = lang;
  state.t = translator(lang);
  host.post('label', { text: state.t('launcher') });
  await decide();
}

/** A returning visitor may have a chat open: ask the server before choosing. */
async function decide() {
  if (saved.get('visitor')) {
    try {
      state.session = await newSession();
    } catch (error) {
      return error.fatal ? unavailable() : go('error');
    }
    const open = state.session.open_chat;
    if (open) return enterChat({ chat_id: open.chat_id, status: open.status }, false);
  }
  if (state.config.open === false) return goAway('closed'); // no chat offered outside hours
  if (state.config.operators_online > 0) go('consent');
  else goAway('absent');
}

async function newSession(retried = false) {
  const body = { language: state.lang };
  const origin = pageOrigin();
  if (origin) body.page_origin = origin;
  const token = saved.get('visitor');
  if (token) body.visitor_token = token;
  if (state.user) body.user = state.user;
  try {
    const session = await api.session(body);
    saved.set('visitor', session.visitor_token);
    return { ...session, at: Date.now() };
  } catch (error) {
    if (!retried && error.code === 'bad_identity_hash' && state.user?.hash) {
      console.warn('helpdesk chat: the identity hash was refused; continuing unverified');
      const { hash, ...unsigned } = state.user;
      state.user = unsigned;
      return newSession(true);
    }
    if (!retried && error.status === 401 && token) {
      saved.remove('visitor'); // from another deployment or expired: start afresh
      return newSession(true);
    }
    error.fatal = error.status === 403 || error.status === 404;
    throw error;
  }
}

async function connectUrl() {
  let session = state.session;
  state.session = null;
  if (!session || Date.now() - session.at > SESSION_FRESH_MS) session = await newSession();
  return `${session.ws_url}?ticket=${encodeURIComponent(session.ticket)}`;
}

function startChat({ name, email }) {
  state.draft = { name, email };
  // The chat's language (its greeting and rating guidance) is the one shown.
  state.starting = { page_url: pageUrl(), language: state.lang };
  if (name) state.starting.name = name;
  if (email) state.starting.email = email;
  state.startFailed = false;
  render();
  if (socket.isOpen) socket.onOpen();
  else socket.start();
}

/** The host page's origin, for the service's allowed-origins check; the
 * browser's own record of the embedding page wins over the URL parameter. */
function pageOrigin() {
  const ancestors = window.location.ancestorOrigins;
  return (ancestors && ancestors.length && ancestors[0]) || params.get('host');
}

/** The host page the chat starts from (origin and path only, no query). */
function pageUrl() {
  const page = params.get('page') || '';
  return /^https?:\/\//.test(page) ? page.slice(0, 2000) : undefined;
}

function enterChat(chat, live) {
  if (store.chatId !== chat.chat_id) conversation = null;
  store.useChat(chat.chat_id);
  state.rating = { prompt: null, busy: false, done: false, back: 'chat' };
  state.mail = null;
  if (state.screen !== 'rating') go('chat');
  updateChat(chat, live);
  host.post('chatting', { value: true });
  socket.start();
}

function restart() {
  conversation = null;
  state.chat = null;
  state.transcript = [];
  state.refused = null;
  state.mail = null;
  state.rating = { prompt: null, busy: false, done: false, back: 'chat' };
  boot();
}

// --- frames from the server ---------------------------------------------------

const FRAMES = {
  'chat.started': ({ chat }) => {
    state.starting = null;
    enterChat(chat, true);
    send({ type: 'chat.resume', id: 'resume', chat_id: chat.chat_id, after_seq: store.resumeAfter });
  },
  'chat.history': ({ chat, messages, more }) => {
    if (chat.chat_id !== store.chatId) return;
    messages.forEach((m) => received(m, false));
    if (more && messages.length) {
      // A long chat comes in pages that each fit one frame: ask for the next.
      send({ type: 'chat.resume', id: 'resume', chat_id: chat.chat_id, after_seq: store.resumeAfter });
      return;
    }
    state.synced = true;
    updateChat(chat, false);
    if (chat.status === 'ended' || chat.customer_left_at) return finish();
    flush();
    sendPage();
  },
  message: ({ message }) => received(message, true),
  'message.ack': ({ client_msg_id: id, seq }) => {
    if (state.inflight === id) state.inflight = null;
    const message = store.acknowledge(id, seq, { role: 'customer', name: null });
    if (message) conversation?.message(message);
    flush();
  },
  'chat.queued': ({ chat_id: chatId, queue_position: position }) => {
    if (chatId !== store.chatId || !state.chat) return;
    updateChat({ ...state.chat, status: 'waiting', queue_position: position }, true);
  },
  'chat.assigned': ({ chat }) => {
    if (chat.chat_id === store.chatId) updateChat(chat, true);
  },
  typing: ({ chat_id: chatId, role }) => {
    if (chatId === store.chatId && role !== 'customer') conversation?.typingOn(operatorName());
  },
  'rating.requested': ({ chat_id: chatId, text, lang }) => {
    if (chatId === store.chatId) openRating(text ? { text, lang } : null);
  },
  'rating.saved': () => {
    state.rating = { ...state.rating, busy: false, done: true, error: null };
    release();
    // After the end, the thanks go below the transcript, which stays readable.
    if (state.screen === 'rating' && state.rating.back === 'ended') return go('ended');
    if (state.screen === 'rating') state.focused = null; // the send button is gone: focus "back"
    if (state.screen === 'rating' || state.screen === 'ended') render();
    else showTools();
  },
  'chat.left': ({ chat_id: chatId }) => chatId === store.chatId && finish(),
  'chat.ended': ({ chat_id: chatId }) => chatId === store.chatId && finish(),
  'transcript.queued': ({ email }) => mailed({ sent: email || state.mail?.email }),
  error: (frame) => failed(frame),
};

function received(message, live) {
  if (message.client_msg_id && message.client_msg_id === state.inflight) state.inflight = null;
  if (!store.add(message)) return;
  conversation?.message(message);
  if (live && !state.open && message.sender?.role !== 'customer') {
    state.unread += 1;
    host.post('unread', { count: state.unread });
  }
}

function operatorName() {
  return state.chat?.operator_name || state.t('operator');
}

function chatStatus(chat) {
  if (chat.status === 'waiting') {
    return chat.queue_position ? state.t('queued', { n: chat.queue_position }) : state.t('waiting');
  }
  if (chat.status === 'assigned' || chat.status === 'active') {
    return state.t('withOperator', { name: operatorName() });
  }
  return state.t('connecting');
}

/** The customer's view of a chat (API.md) is all the widget reads of it:
 * chat_id, status, queue_position, operator_name, created_at, assigned_at,
 * ended_at, customer_left_at, rating, last_seq. */
const CHAT_FIELDS = ['chat_id', 'status', 'queue_position', 'operator_name', 'created_at',
  'assigned_at', 'ended_at', 'customer_left_at', 'rating', 'last_seq'];

function customerView(chat) {
  const view = {};
  for (const field of CHAT_FIELDS) if (chat[field] !== undefined) view[field] = chat[field];
  return view;
}

/** An operator was (or is) with this chat: only then may it be rated. */
function served(chat) {
  return !!(chat && (chat.assigned_at || chat.operator_name));
}

function canRate() {
  return served(state.chat) && !state.chat.rating && !state.rating.done;
}

/** The header's Rate button follows the chat without redrawing the screen
 * (which would take the focus from the message box). */
function showTools() {
  const rate = root.querySelector('[data-action=rate]');
  if (rate) rate.hidden = !canRate();
}

/** A newer view of the chat. An operator joining while the customer watches
 * (`live`) is announced in the transcript, once per operator. */
function updateChat(chat, live) {
  const before = state.chat?.chat_id === chat.chat_id ? state.chat : {};
  state.chat = { ...before, ...customerView(chat) };
  const joined = served(state.chat) && (state.chat.operator_name !== before.operator_name ||
    state.chat.assigned_at !== before.assigned_at);
  if (live && joined && ['assigned', 'active'].includes(state.chat.status)) {
    conversationView().notice(state.t('joined', { name: operatorName() }), chat.last_seq);
  }
  setStatus(chatStatus(state.chat));
  showTools();
}

function failed({ re, code, reason, next_open_at: nextOpenAt }) {
  if (re === 'page') return; // a page view refused: nothing the customer needs to hear
  if (code === 'blocked') return unavailable();
  if (re === 'start') {
    state.starting = null;
    if (code === 'outside_hours') return closedNow(nextOpenAt);
    if (REFUSED.includes(code)) return refused(code);
    state.startFailed = true;
    return render();
  }
  if (re === 'rating') {
    state.rating = { ...state.rating, busy: false,
      error: code === 'not_served' ? 'ratingNotServed' : 'error' };
    release();
    if (state.screen === 'rating') render();
    return;
  }
  if (re === 'transcript') {
    return mailed({ error: { too_many: 'mailTooMany', bad_request: 'needEmail' }[code] || 'error' });
  }
  files?.refused(re, code, reason); // its attachment.request's (then nothing below is)
  if (re === 'resume') {
    if (code === 'not_found' || code === 'forbidden') return finish();
    return setTimeout(() => socket.isOpen && socket.onOpen(), RETRY_SEND_MS);
  }
  const item = store.outbox.find((entry) => entry.client_msg_id === re);
  if (!item) return;
  state.inflight = null;
  if (RETRYABLE.has(code)) return setTimeout(flush, RETRY_SEND_MS);
  store.unqueue(re);
  if (item.attachment) withFiles((it) => it.notSent(code, reason, item));
  else conversation?.failed(re);
  flush();
}

// --- sending ------------------------------------------------------------------

function send(frame) {
  return socket.send(frame);
}

/** Send a frame now or as soon as a socket is open: after the end the socket is
 * closed, and opened again just for this (a rating, the transcript by email). */
function sendSoon(frame, gaveUp) {
  if (send(frame)) return;
  socket.start();
  const since = Date.now();
  const retry = setInterval(() => {
    if (send(frame)) clearInterval(retry);
    else if (Date.now() - since > 20000) {
      clearInterval(retry);
      gaveUp?.();
    }
  }, 300);
}

/** A socket opened after the end only to rate or to ask for the transcript
 * closes once neither waits for an answer. */
function release() {
  if (!store.chatId && !state.starting && !state.rating.busy && !state.mail?.busy) socket.stop();
}

/** The text typed, and the file waiting in the tray (once uploaded; until
 * then it sends itself when done): false when there is nothing to send. */
function sendText(text) {
  const file = files?.take();
  if (!store.chatId || file === false || !(text || file)) return false;
  const item = store.queue(text, file);
  conversationView().pending(item);
  flush();
  return true;
}

/** One message in flight at a time, so the server stores them in typing order. */
function flush() {
  if (!state.synced || state.inflight) return;
  const item = store.outbox[0];
  if (!item) return;
  const frame = { type: 'message.send', id: item.client_msg_id, chat_id: item.chat_id,
    client_msg_id: item.client_msg_id, text: item.text,
    attachment_id: item.attachment?.attachment_id };
  if (!send(frame)) return;
  state.inflight = item.client_msg_id;
  setTimeout(() => {
    if (state.inflight !== item.client_msg_id) return;
    state.inflight = null; // no answer: send it again, the server stores it once
    flush();
  }, ACK_WITHIN_MS);
}

/** The server would not start a chat now (a full queue, too many open chats):
 * the offline view says why and offers the inquiry form; the name and email
 * typed stay for the next try. */
async function refused(code) {
  if (code === 'too_many_chats' && saved.get('visitor')) {
    // This visitor's own chat may be open already (another tab): go back to it.
    try {
      const session = await newSession();
      if (session.open_chat) {
        state.session = session;
        enterChat({ chat_id: session.open_chat.chat_id, status: session.open_chat.status }, false);
        if (socket.isOpen) socket.onOpen();
        return;
      }
    } catch {
      /* say why it was refused */
    }
  }
  socket.stop();
  state.refused = code;
  goAway('absent');
}

/** chat.start refused outside business hours (the config said open when read):
 * the closed view, with when the service opens (`next_open_at` of the refusal). */
function closedNow(nextOpenAt) {
  socket.stop();
  state.refused = 'outside_hours';
  state.nextOpenAt = nextOpenAt || null;
  goAway('closed');
}

function leave() {
  if (!send({ type: 'chat.leave', id: 'leave', chat_id: store.chatId })) finish();
}

function finish() {
  socket.stop();
  files?.clear();
  if (store.chatId) state.transcript = store.ordered();
  store.outbox.forEach((item) => conversation?.failed(item.client_msg_id)); // never sent now
  store.forget();
  state.synced = false;
  state.inflight = null;
  page = null;
  // The transcript by email, to the address given at the start where known (the
  // server defaults to it too), while the ended chat is known.
  if (!state.mail && state.chat?.chat_id) {
    state.mail = { email: state.draft.email || state.user?.email || '' };
  }
  host.post('chatting', { value: false });
  if (state.screen !== 'rating') go('ended');
  else state.rating.back = 'ended';
}

// --- files (R-ATT-1) ------------------------------------------------------------
// files.js (drawing files, links, attaching one, its strings and CSS) loads the
// first time a message shows a file or the customer attaches one, so the chat
// opens without it; until then a file shows its name. It adds the frames that
// answer its own requests (attachment.upload, attachment.link) to FRAMES.

/** `use(files)` once files.js is loaded. */
function withFiles(use) {
  filesLoading ||= import('./files.js').then((it) => it.setup({ state, store, send, frames: FRAMES,
    view: () => conversation })).then((kit) => (files = kit), (error) => {
    filesLoading = null; // try again next time
    throw error;
  });
  return filesLoading.then(use, () => setStatus(state.t('error')));
}

// --- nobody to chat with -------------------------------------------------------
// away.js (the absent popup, the closed view with the opening times; its strings
// and CSS) loads the first time one of them is shown, and with it offline.js
// (the offline message form) where the service offers it: a chat with an
// operator online opens without either.

/** What away.js and offline.js work with. */
const app = { state, api, saved, drafts, serviceText, pageOrigin, pageUrl, render,
  recheck: boot, unavailable };

/** Show the absent popup or the closed view (`screen`) once away.js is ready
 * for the config, unless another screen was shown meanwhile. */
function goAway(screen) {
  const from = state.screen;
  return import('./away.js').then(async (it) => {
    await it.prepare(state.config);
    away = it;
  }).then(() => state.screen === from && go(screen), () => state.screen === from && go('error'));
}

/** The service will not chat with this visitor (`blocked`) or from this page:
 * a neutral view, never why, no form and nothing retried. */
function unavailable() {
  socket.stop();
  state.starting = null;
  host.post('chatting', { value: false });
  go('unavailable');
}

// --- the host page's address (R-VIS-1) -------------------------------------------
// While a chat is open, the loader reports the pages the customer visits
// ({type: 'page', url, title, referrer}: at most one a second, the address
// without its fragment), which bridge.js takes only from the host page's window
// and origin. Checked here again, and sent on as `page.view` once the chat is
// in sync (the latest only, 1.2 s at least after the one before); the server
// answers nothing unless it refuses it.

const PAGE_EVERY_MS = 1200; // the server keeps at most one page a second: a margin
let page = null; // the latest page not sent yet
let pageSentAt = 0;
let pageTimer = 0;

function pageView({ url, title, referrer }) {
  const web = (it) => typeof it === 'string' && it.length <= 2000 && /^https?:\/\/[^/]/i.test(it);
  // On the host page's own origin (the `host` the loader put in this frame's URL).
  if (!store.chatId || !web(url) || !`${url}/`.startsWith(`${params.get('host')}/`)) return;
  referrer = web(referrer) ? referrer : page?.referrer; // a report it replaces may have had one
  page = { url, title: (typeof title === 'string' && title.slice(0, 200)) || undefined,
    referrer: referrer || undefined };
  sendPage();
}

/** The latest page, once in sync and 1.2 s after the one before (a report held
 * until the chat was in sync must not come too soon after the previous one). */
function sendPage() {
  const wait = pageSentAt + PAGE_EVERY_MS - Date.now();
  if (!page || !state.synced || pageTimer) return;
  if (wait > 0) {
    pageTimer = setTimeout(() => {
      pageTimer = 0;
      sendPage();
    }, wait);
  } else if (send({ type: 'page.view', id: 'page', chat_id: store.chatId, ...page })) {
    page = null;
    pageSentAt = Date.now();
  }
}

// --- rating -------------------------------------------------------------------

function openRating(prompt) {
  if (state.screen === 'rating') return;
  state.rating = { prompt, busy: false, done: false, error: null,
    back: state.screen === 'ended' ? 'ended' : 'chat', chatId: store.chatId || state.chat?.chat_id };
  go('rating');
}

function closeRating() {
  go(state.rating.back === 'ended' || !store.chatId ? 'ended' : 'chat');
}

function submitRating(score, comment) {
  const frame = { type: 'rating.submit', id: 'rating', chat_id: state.rating.chatId, score };
  if (comment) frame.comment = comment;
  state.rating = { ...state.rating, busy: true, error: null, score, comment };
  sendSoon(frame);
  render();
}

// --- the transcript by email --------------------------------------------------

/** transcript.request for the ended chat; without an address the server uses
 * the one given at the start. */
function requestTranscript(email) {
  const mail = state.mail;
  if (!mail || mail.busy || !state.chat?.chat_id) return;
  if (email && !views.looksLikeEmail(email)) return mailed({ error: 'needEmail' });
  const frame = { type: 'transcript.request', id: 'transcript', chat_id: state.chat.chat_id };
  if (email) frame.email = email;
  mailed({ busy: true });
  sendSoon(frame, () => mailed({ error: 'error' }));
}

/** How the transcript request went, shown in place (the focus stays put). */
function mailed(news) {
  if (!state.mail) return;
  Object.assign(state.mail, { busy: false, sent: null, error: null }, news);
  const line = root.querySelector('#hdc-transcript-status');
  if (line) {
    const note = views.mailNote(state.t, state.mail);
    line.className = note.class;
    line.textContent = note.text;
  }
  release();
}

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') host.post('close');
});

host.post('ready');
boot();
