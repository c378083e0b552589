// The widget's screens other than the conversation: plain functions from
// state to DOM. `t` is the translator of the current language.

import { h, icon } from './dom.js';
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

/** Nobody to chat with: no operator online (the service's away message, in its
 * language), or the server refused to start a chat now (`texts` then says why).
 * The inquiry form where the service has one. */
export function absent(t, config, { recheck, texts, away }) {
  const form = config.inquiry_form_url;
  const own = !texts && Boolean(away?.text); // the service's words, then ours on the form
  const say = texts || (own ? { body: 'absentForm', noForm: 'absentLater' }
    : { body: 'absentBody', noForm: 'absentNoForm' });
  return h('div', { class: 'body absent' },
    h('div', { class: 'absent-icon' }, icon('away')),
    own && h('p', { class: 'away', lang: away.lang, text: away.text }),
    h('p', { role: texts ? 'alert' : null, text: t(form ? say.body : say.noForm) }),
    h('div', { class: 'actions' },
      form && h('a', { class: 'btn primary', href: form, target: '_blank', rel: 'noopener',
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
export function ended(t, { rated, canRate, rate, restart }) {
  return h('div', { class: 'ended-actions' },
    h('div', {},
      h('p', { class: 'lead', text: t('ended') }),
      rated && h('p', { class: 'muted', role: 'status', text: t('ratingThanks') })),
    h('div', { class: 'actions' },
      canRate && h('button', { type: 'button', class: 'btn ghost', 'data-action': 'rate-ended',
        onclick: rate, text: t('rate') }),
      h('button', { type: 'button', class: 'btn primary', 'data-action': 'restart',
        onclick: restart, text: t('newChat') })));
}

export function problem(t, { text, retry }) {
  return h('div', { class: 'body center' },
    h('p', { class: 'lead', text: t(text) }),
    retry && h('button', { type: 'button', class: 'btn primary', onclick: retry,
      text: t('tryAgain') }));
}
