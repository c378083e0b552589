// The offline message form (R-OFF-1): when nobody can chat (the absent popup,
// the closed view: away.js), a message that becomes a ticket the operators
// answer by email. Loaded by away.js (with offline.css and its strings,
// i18n/offline/<lang>.js) only when the service offers it
// (bench/widget_size.py counts it apart). `app` is what app.js lends (away.js).

import { h, keepComposing } from './dom.js';
import en from './i18n/offline/en.js';
import ja from './i18n/offline/ja.js';
import ko from './i18n/offline/ko.js';
import { translator } from './shared/i18n.js';
import { newClientMsgId } from './shared/socket.js';
import { looksLikeEmail } from './views.js';

const STRINGS = { en, ja, ko };
const MAX_TEXT = 5000;

/** Resolves once offline.css applies (or failed to load: the form still shows). */
export const ready = new Promise((resolve) => {
  document.head.append(h('link', { rel: 'stylesheet', href: new URL('./offline.css', import.meta.url).href,
    onload: resolve, onerror: resolve }));
});

/** The offline message form, or the number of the message it sent. */
export function form(app) {
  const { state } = app;
  const own = translator(STRINGS, state.lang);
  const say = (key, holes) => (key in en ? own : state.t)(key, holes);
  const draft = state.offline;
  if (draft.received) return received(say, draft.received);
  // Filled in from what the page or the consent screen already said.
  draft.name ??= state.user?.name || state.draft.name || '';
  draft.email ??= state.user?.email || state.draft.email || '';
  const consent = app.serviceText('consent_text');
  return offlineForm(say, {
    draft,
    categories: state.config.categories || [],
    consent: { text: consent.text || state.config.consent_text, lang: consent.lang },
    save: (it) => saveDraft(app, it),
    send: (it) => sendOffline(app, it),
  });
}

function saveDraft(app, { name, email, text, category_id, submission_id }) {
  app.drafts.set('offline', { name, email, text, category_id, submission_id });
}

/** POST the offline message; null once it is received (or the visitor may not
 * send one: the neutral "not available" view), else the ApiError (what was typed
 * stays, and a retry of this draft is the same message to the server). */
async function sendOffline(app, draft) {
  const { state } = app;
  draft.submission_id ||= newClientMsgId();
  saveDraft(app, draft);
  const body = { name: draft.name.trim(), email: draft.email.trim(), text: draft.text.trim(),
    consent: true, consent_version: state.config.consent_version, language: state.lang,
    submission_id: draft.submission_id, page_origin: app.pageOrigin() || undefined,
    visitor_token: app.saved.get('visitor') || undefined, category_id: draft.category_id || undefined,
    page_url: app.pageUrl() };
  try {
    const { number } = await app.api.offlineMessage(body);
    app.drafts.remove('offline');
    state.offline = { received: number };
    state.focused = null; // the focus goes to the number
    app.render();
    return null;
  } catch (error) {
    if (error.code !== 'blocked') return error;
    app.unavailable(); // no form, nothing to retry, not a word about why
    return null;
  }
}

/** The offline message form. `draft` is what was typed (kept on every change by
 * `save`, so neither a redraw nor a reload loses it, nor does a failure clear it);
 * `send(draft)` resolves null once the message is received, else the ApiError. */
function offlineForm(say, { draft, categories, consent, save, send }) {
  const field = (tag, name, props, ...children) => h(tag, { id: `hdc-off-${name}`, name,
    required: true, value: draft[name] || null, ...props }, children);
  const name = field('input', 'name', { autocomplete: 'name', maxlength: '100' });
  const email = field('input', 'email', { type: 'email', autocomplete: 'email', maxlength: '254' });
  const text = field('textarea', 'text', { rows: '4' });
  const category = categories.length > 0 && field('select', 'category', { required: null,
    value: draft.category_id || '' },
  h('option', { value: '', text: '—' }),
  categories.map((c) => h('option', { value: c.category_id, text: c.name })));
  const agree = field('input', 'consent', { type: 'checkbox', value: null, checked: draft.consent });
  const status = h('p', { id: 'hdc-offline-status', class: 'form-status', 'aria-live': 'polite' });
  const tell = (note) => {
    draft.note = note;
    status.textContent = note ? say(note.key, note) : '';
    status.classList.toggle('error', !!note?.error);
  };
  const read = () => {
    Object.assign(draft, { name: name.value, email: email.value, text: text.value,
      category_id: category ? category.value : '', consent: agree.checked });
    save(draft);
  };
  const problem = () =>
    (!name.value.trim() && [name, 'offlineNeedName']) ||
    (!looksLikeEmail(email.value.trim()) && [email, 'needEmail']) ||
    (!text.value.trim() && [text, 'offlineNeedText']) ||
    ([...text.value.trim()].length > MAX_TEXT && [text, 'tooLong']) ||
    (!agree.checked && [agree, 'offlineNeedConsent']);
  let busy = false;
  const submit = async (event) => {
    event.preventDefault();
    if (busy) return;
    read();
    [name, email, text, agree].forEach((el) => el.removeAttribute('aria-invalid'));
    const bad = problem();
    if (bad) {
      bad[0].setAttribute('aria-invalid', 'true');
      tell({ key: bad[1], error: true });
      return bad[0].focus();
    }
    busy = true;
    tell({ key: 'sending' });
    const error = await send(draft);
    busy = false;
    // 403: offline_form_disabled, origin_not_allowed; a network failure: try again.
    if (error) tell({ error: true, message: error.message || '', key: { rate_limited: 'offlineRateLimited',
      bad_request: 'offlineBadRequest' }[error.code] || (error.status === 403 ? 'offlineRefused' : 'error') });
  };
  const label = (el, key) => h('label', { for: el.id, text: say(key) });
  const form = h('form', { id: 'hdc-offline', class: 'offline', novalidate: true, oninput: read,
    onchange: read, onkeydown: keepComposing, onsubmit: submit },
  h('h2', { text: say('offlineTitle') }),
  h('p', { class: 'muted', text: say('offlineLead') }),
  h('div', { class: 'fields' },
    label(name, 'offlineName'), name,
    label(email, 'offlineEmail'), email,
    category && [label(category, 'offlineCategory'), category],
    label(text, 'messageLabel'), text),
  // The same consent text (and version) as a chat's.
  consent.text && h('div', { class: 'consent-text', tabindex: '0', lang: consent.lang, text: consent.text }),
  h('label', { class: 'agree', for: agree.id }, agree, h('span', { text: say('offlineAgree') })),
  status,
  h('button', { type: 'submit', class: 'btn primary wide', 'data-action': 'offline-send',
    text: say('send') }));
  if (draft.note) tell(draft.note); // a redraw (another language) keeps what was said
  return form;
}

/** The offline message arrived: its ticket number. */
function received(say, number) {
  return h('div', { class: 'received', role: 'status' },
    h('p', { id: 'hdc-offline-received', class: 'lead', tabindex: '-1',
      text: say('offlineReceived', { number }) }),
    h('p', { class: 'muted', text: say('offlineThanks') }));
}
