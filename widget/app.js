// The chat UI inside the widget's iframe: it decides which screen to show,
// starts and resumes the chat over the socket, and keeps the transcript exact.
//
// Flow (API.md): GET config → closed view (outside business hours), absent
// popup (nobody online; both offer the offline message form), consent screen, or
// straight back into an open chat (POST session returns it) → WebSocket:
// chat.start after consent, chat.resume {after_seq} on every (re)connect, then
// the outbox is sent one message at a time, each with its client_msg_id.
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
import { newClientMsgId, ReconnectingSocket } from './shared/socket.js';
import { storage } from './storage.js';
import { ChatStore } from './store.js';
import * as views from './views.js';

const SESSION_FRESH_MS = 45 * 1000; // tickets live 60 s
const ACK_WITHIN_MS = 15 * 1000;
const RETRY_SEND_MS = 2000;
const RETRYABLE = new Set(['rate_limited', 'busy', 'internal_error']);
// chat.start refused for now: the offline view says why, with the inquiry form.
// (Refused `outside_hours`, the closed view shows when the service opens.)
const REFUSED = {
  queue_full: { title: 'busyTitle', body: 'busyBody', noForm: 'busyNoForm' },
  too_many_chats: { title: 'tooManyTitle', body: 'tooManyBody', noForm: 'tooManyNoForm' },
};
// The absent and closed views' line under the service's away message, by what
// they offer next (views.absent): the inquiry form (`body`), the offline form
// alone (`form`; none where the form's heading says it all), or nothing (`noForm`).
const SAY = {
  absent: { body: 'absentBody', noForm: 'absentNoForm' },
  own: { body: 'absentForm', form: null, noForm: 'absentLater' }, // under the service's own
  closed: { body: 'absentForm', form: null, noForm: 'absentLater' },
};

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
  onFatal: () => go('unavailable'),
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
  const away = state.screen === 'absent' || state.screen === 'closed';
  // A card as high as its text; with the offline form, the whole panel.
  const compact = away && !(state.config?.offline_form && !state.offline.received);
  const inChat = state.screen === 'chat';
  const refusal = away && REFUSED[state.refused];
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
    title: t(state.screen === 'closed' ? 'closedTitle' : refusal ? refusal.title
      : away ? 'absentTitle' : 'title'),
    status: inChat ? state.status : '',
    languages: state.config?.languages || [],
    lang: state.lang,
    tools: inChat,
    rate: canRate(),
    on,
  });
  root.className = compact ? 'compact' : 'panel';
  mount(root, head, h('main', { class: 'screen' }, body(t)));
  // A transcript put back on screen (after the rating, at the end) shows its latest.
  if (conversation?.el.isConnected) conversation.log.scrollTop = conversation.log.scrollHeight;
  host.post('size', { height: compact ? root.scrollHeight : 0 });
  focusScreen(false);
}

function body(t) {
  switch (state.screen) {
    case 'absent':
    case 'closed':
      return awayView(t, state.screen === 'closed');
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
      return views.problem(t, { text: 'unavailable' });
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
  const wanted = ['#hdc-input', '[data-action=consent]', 'input[name=score]',
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

/** The absent popup (nobody online, or a start refused) or the closed view
 * (outside business hours): the inquiry link and the offline form where the
 * service offers them; closed, the form takes the link's place. */
function awayView(t, closed) {
  const config = state.config;
  const away = serviceText('away_message');
  const refusal = !closed && REFUSED[state.refused];
  const form = config.offline_form ? offlineView(t) : null;
  return views.absent(t, {
    recheck: boot,
    say: refusal || SAY[closed ? 'closed' : away.text ? 'own' : 'absent'],
    alert: refusal || (closed && state.refused === 'outside_hours'),
    away: !refusal && away,
    link: ((!closed || !config.offline_form) && config.inquiry_form_url) || null,
    closed,
    details: closed && views.opening(t, state.lang, config.business_hours,
      state.nextOpenAt || config.next_open_at),
    form,
  });
}

/** The offline message form, or the number of the message it sent. */
function offlineView(t) {
  const draft = state.offline;
  if (draft.received) return views.received(t, draft.received);
  // Filled in from what the page or the consent screen already said.
  draft.name ??= state.user?.name || state.draft.name || '';
  draft.email ??= state.user?.email || state.draft.email || '';
  const consent = serviceText('consent_text');
  return views.offlineForm(t, {
    draft,
    categories: state.config.categories || [],
    consent: { text: consent.text || state.config.consent_text, lang: consent.lang },
    save: saveDraft,
    send: sendOffline,
  });
}

function saveDraft({ name, email, text, category_id, submission_id }) {
  drafts.set('offline', { name, email, text, category_id, submission_id });
}

/** POST the offline message; null once it is received, else the ApiError (what
 * was typed stays, and a retry of this draft is the same message to the server). */
async function sendOffline(draft) {
  draft.submission_id ||= newClientMsgId();
  saveDraft(draft);
  const body = { name: draft.name.trim(), email: draft.email.trim(), text: draft.text.trim(),
    consent: true, consent_version: state.config.consent_version, language: state.lang,
    submission_id: draft.submission_id, page_origin: pageOrigin() || undefined,
    visitor_token: saved.get('visitor') || undefined, category_id: draft.category_id || undefined,
    page_url: pageUrl() };
  try {
    const { number } = await api.offlineMessage(body);
    drafts.remove('offline');
    state.offline = { received: number };
    state.focused = null; // the focus goes to the number
    render();
    return null;
  } catch (error) {
    return error;
  }
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
      return go(error.fatal ? 'unavailable' : 'error');
    }
    const open = state.session.open_chat;
    if (open) return enterChat({ chat_id: open.chat_id, status: open.status }, false);
  }
  if (state.config.open === false) return go('closed'); // no chat offered outside hours
  go(state.config.operators_online > 0 ? 'consent' : 'absent');
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
  if (re === 'start') {
    state.starting = null;
    if (code === 'outside_hours') return closedNow(nextOpenAt);
    if (REFUSED[code]) return refused(code);
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
  go('absent');
}

/** chat.start refused outside business hours (the config said open when read):
 * the closed view, with when the service opens (`next_open_at` of the refusal). */
function closedNow(nextOpenAt) {
  socket.stop();
  state.refused = 'outside_hours';
  state.nextOpenAt = nextOpenAt || null;
  go('closed');
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
