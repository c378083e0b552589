// The widget's screens other than the conversation: plain functions from
// state to DOM. `t` is the translator of the current language. (When nobody
// can chat, the absent and closed views and the offline message form are
// away.js's, loaded only then.)

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

/** Chat cannot be had here (the server refused this visitor or this page):
 * said neutrally, never why, with nothing to retry. The line takes the focus,
 * so a screen reader reads it on opening. */
export function unavailable(t) {
  return h('div', { class: 'body center unavailable' },
    h('div', { class: 'round-icon' }, icon('chat')),
    h('p', { id: 'hdc-unavailable', class: 'lead', role: 'status', tabindex: '-1',
      text: t('unavailable') }));
}

export function problem(t, { text, retry }) {
  return h('div', { class: 'body center' },
    h('p', { class: 'lead', text: t(text) }),
    retry && h('button', { type: 'button', class: 'btn primary', onclick: retry,
      text: t('tryAgain') }));
}

/** An email address's shape only; the server is the judge. */
export const looksLikeEmail = (text) => /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(text);
