// The widget's screens other than the conversation: plain functions from
// state to DOM. `t` is the translator of the current language. When nobody can
// chat: the service's opening times (its weekly hours, public holidays and
// closed dates, in its time zone and the customer's language) and the offline
// message form, which becomes a ticket the operators answer by email.

import { h, icon, keepComposing } from './dom.js';
import { LANGUAGE_NAMES } from './i18n.js';

export function header(t, { title, status, languages, lang, tools, rate, on }) {
  const picker = languages.length > 1 &&
    h('select', { class: 'lang', 'aria-label': t('language'), title: t('language'),
      onchange: (e) => on.language(e.target.value) },
      languages.map((code) =>
        h('option', { value: code, selected: code === lang, text: LANGUAGE_NAMES[code] || code })));
  return h('header', { class: 'head' },
    h('div', { class: 'head-row' },
      h('div', { class: 'head-text' },
        h('h1', { id: 'hdc-title', text: title }),
        h('p', { id: 'hdc-status', class: 'status', role: 'status', text: status || '' })),
      picker,
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('minimize'),
        title: t('minimize'), onclick: on.minimize }, icon('close'))),
    tools && h('div', { class: 'tools' },
      // Rating is for chats an operator served: hidden until one has joined.
      h('button', { type: 'button', class: 'pill', 'data-action': 'rate', onclick: on.rate,
        hidden: !rate, text: t('rate') }),
      h('button', { type: 'button', class: 'pill', 'data-action': 'end', onclick: on.end,
        text: t('end') })));
}

export function loading(t) {
  return h('div', { class: 'body center' }, h('p', { class: 'muted', text: t('loading') }));
}

/** Nobody to chat with: no operator online, outside business hours (`closed`:
 * the opening times in `details`), or the server refused to start a chat now
 * (`alert`). Under the service's away message (in its language) a line chosen
 * by what is offered next (`say`): the inquiry form's `link`, the offline `form`
 * (both when the service has both), or neither. */
export function absent(t, { recheck, say, alert, away, link, closed, details, form }) {
  const line = link ? say.body : form && 'form' in say ? say.form : say.noForm;
  return h('div', { class: ['body absent', closed && 'closed'], id: closed ? 'hdc-closed' : null },
    h('div', { class: 'absent-icon' }, icon('away')),
    away?.text && h('p', { class: 'away', lang: away.lang, text: away.text }),
    line && h('p', { role: alert ? 'alert' : null, text: t(line) }),
    details,
    form,
    h('div', { class: 'actions' },
      link && h('a', { class: 'btn primary', href: link, target: '_blank', rel: 'noopener',
        'data-action': 'inquiry', text: t('inquiry') }),
      h('button', { type: 'button', class: 'btn ghost', onclick: recheck, text: t('checkAgain') })));
}

export function consent(t, config, { consent: text, identified, busy, failed, draft, start }) {
  // What the customer typed before (a refused start, a redraw) is kept.
  const name = h('input', { id: 'hdc-name', name: 'name', autocomplete: 'name', maxlength: '100',
    value: draft?.name || null });
  const email = h('input', { id: 'hdc-email', name: 'email', type: 'email', autocomplete: 'email',
    maxlength: '254', value: draft?.email || null });
  const submit = (event) => {
    event.preventDefault();
    start({ name: name.value.trim(), email: email.value.trim() });
  };
  return h('form', { class: 'body consent', onsubmit: submit },
    h('h2', { text: t('consentTitle') }),
    h('p', { class: 'muted', text: t('consentLead') }),
    // The service's text, in the customer's language where it has one, marked
    // with the language it is in (a screen reader then reads it in that voice).
    h('div', { class: 'consent-text', tabindex: '0', lang: text?.lang || null,
      text: text ? text.text : config.consent_text || '' }),
    !identified && h('div', { class: 'fields' },
      h('label', { for: 'hdc-name', text: t('nameLabel') }), name,
      h('label', { for: 'hdc-email', text: t('emailLabel') }), email),
    failed && h('p', { class: 'error', role: 'alert', text: t('error') }),
    h('button', { type: 'submit', class: 'btn primary wide', 'data-action': 'consent',
      disabled: busy, text: busy ? t('connecting') : t('consentStart') }));
}

/** What the customer can do once the chat has ended. It goes below the
 * transcript, which stays readable (R-WID-9). */
export function ended(t, { rated, canRate, rate, restart, mail }) {
  return h('div', { class: 'ended-actions' },
    h('div', {},
      h('p', { class: 'lead', text: t('ended') }),
      rated && h('p', { class: 'muted', role: 'status', text: t('ratingThanks') })),
    h('div', { class: 'actions' },
      canRate && h('button', { type: 'button', class: 'btn ghost', 'data-action': 'rate-ended',
        onclick: rate, text: t('rate') }),
      h('button', { type: 'button', class: 'btn primary', 'data-action': 'restart',
        onclick: restart, text: t('newChat') })),
    mail);
}

/** "Email me this conversation": the address given at the start filled in;
 * `mail` {email, busy, sent, error} is kept across redraws. */
export function transcriptForm(t, mail, request) {
  const input = h('input', { id: 'hdc-transcript-email', name: 'email', type: 'email',
    autocomplete: 'email', maxlength: '254', value: mail.email || null,
    oninput: () => { mail.email = input.value; } });
  const note = mailNote(t, mail);
  return h('form', { id: 'hdc-transcript', class: 'transcript', novalidate: true,
    onkeydown: keepComposing,
    onsubmit: (event) => {
      event.preventDefault();
      request(input.value.trim());
    } },
  h('label', { for: input.id, text: t('mailLabel') }),
  h('div', { class: 'row' }, input,
    h('button', { type: 'submit', class: 'btn primary small', 'data-action': 'transcript',
      text: t('send') })),
  h('p', { id: 'hdc-transcript-status', class: note.class, 'aria-live': 'polite', text: note.text }));
}

/** The transcript request's line: sending, sent to whom, or why not. */
export function mailNote(t, { busy, sent, error }) {
  return { class: error ? 'error' : 'muted',
    text: busy ? t('sending') : error ? t(error) : sent ? t('mailSent', { email: sent }) : '' };
}

export function problem(t, { text, retry }) {
  return h('div', { class: 'body center' },
    h('p', { class: 'lead', text: t(text) }),
    retry && h('button', { type: 'button', class: 'btn primary', onclick: retry,
      text: t('tryAgain') }));
}

// --- outside business hours, offline messages ---------------------------------

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MAX_TEXT = 5000;

/** An email address's shape only; the server is the judge. */
export const looksLikeEmail = (text) => /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(text);

/** Intl's date in `lang`; an unknown `timeZone` falls back to the browser's. */
function format(lang, options, when) {
  try {
    return new Intl.DateTimeFormat(lang, options).format(when);
  } catch {
    return new Intl.DateTimeFormat(lang, { ...options, timeZone: undefined }).format(when);
  }
}

const list = (lang, items) => new Intl.ListFormat(lang).format(items);

/** The closed view's facts: the weekly hours as a table (times as the service
 * set them, in its time zone), public holidays, closed dates ("MM-DD" every year;
 * dates gone by are left out) and when it opens next. */
export function opening(t, lang, hours, nextOpenAt) {
  const zone = hours?.timezone || 'UTC';
  const weekly = hours?.enabled && hours.weekly;
  const day = (y, m, d, options) => format(lang, { ...options, timeZone: 'UTC' }, Date.UTC(y, m - 1, d));
  const today = format('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' },
    Date.now()); // YYYY-MM-DD
  const dates = ((weekly && hours.closed_dates) || [])
    .filter((date) => date.length === 5 || date >= today)
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
    .slice(0, 12)
    .map((date) => date.length === 5
      ? t('hoursYearly', { date: day(2000, ...date.split('-'), { month: 'long', day: 'numeric' }) })
      : day(...date.split('-'), { dateStyle: 'long' }));
  let country = hours?.holiday_country;
  try {
    country &&= new Intl.DisplayNames(lang, { type: 'region' }).of(country);
  } catch {
    country = hours.holiday_country_name;
  }
  const next = nextOpenAt && !Number.isNaN(Date.parse(nextOpenAt)) && format(lang, {
    weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
    hourCycle: 'h23', timeZone: zone }, new Date(nextOpenAt));
  return [
    weekly && h('table', { id: 'hdc-hours', class: 'hours' },
      h('caption', { text: t('hoursTitle', { zone }) }),
      h('tbody', {}, DAYS.map((key, i) => h('tr', { dataset: { day: key } },
        h('th', { scope: 'row', text: day(2024, 1, 1 + i, { weekday: 'long' }) }), // a Monday
        h('td', { text: list(lang, (weekly[key] || []).map((slot) => slot.join('–'))) ||
          t('hoursClosed') }))))),
    weekly && country && h('p', { class: 'hours-note', text: t('hoursHolidays', { country }) }),
    dates.length > 0 && h('p', { class: 'hours-note', text: t('hoursClosedOn', { dates: list(lang, dates) }) }),
    next && h('p', { id: 'hdc-next-open', class: 'next-open', text: t('nextOpen', { when: next, zone }) }),
  ];
}

/** The offline message form. `draft` is what was typed (kept on every change by
 * `save`, so neither a redraw nor a reload loses it, nor does a failure clear it);
 * `send(draft)` resolves null once the message is received, else the ApiError. */
export function offlineForm(t, { draft, categories, consent, save, send }) {
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
  const say = (note) => {
    draft.note = note;
    status.textContent = note ? t(note.key, note) : '';
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
      say({ key: bad[1], error: true });
      return bad[0].focus();
    }
    busy = true;
    say({ key: 'sending' });
    const error = await send(draft);
    busy = false;
    // 403: offline_form_disabled, blocked, origin_not_allowed; a network failure: try again.
    if (error) say({ error: true, message: error.message || '', key: { rate_limited: 'offlineRateLimited',
      bad_request: 'offlineBadRequest' }[error.code] || (error.status === 403 ? 'offlineRefused' : 'error') });
  };
  const label = (el, key) => h('label', { for: el.id, text: t(key) });
  const form = h('form', { id: 'hdc-offline', class: 'offline', novalidate: true, oninput: read,
    onchange: read, onkeydown: keepComposing, onsubmit: submit },
  h('h2', { text: t('offlineTitle') }),
  h('p', { class: 'muted', text: t('offlineLead') }),
  h('div', { class: 'fields' },
    label(name, 'offlineName'), name,
    label(email, 'offlineEmail'), email,
    category && [label(category, 'offlineCategory'), category],
    label(text, 'messageLabel'), text),
  // The same consent text (and version) as a chat's.
  consent.text && h('div', { class: 'consent-text', tabindex: '0', lang: consent.lang, text: consent.text }),
  h('label', { class: 'agree', for: agree.id }, agree, h('span', { text: t('offlineAgree') })),
  status,
  h('button', { type: 'submit', class: 'btn primary wide', 'data-action': 'offline-send',
    text: t('send') }));
  if (draft.note) say(draft.note); // a redraw (another language) keeps what was said
  return form;
}

/** The offline message arrived: its ticket number. */
export function received(t, number) {
  return h('div', { class: 'received', role: 'status' },
    h('p', { id: 'hdc-offline-received', class: 'lead', tabindex: '-1',
      text: t('offlineReceived', { number }) }),
    h('p', { class: 'muted', text: t('offlineThanks') }));
}
