// When nobody can chat: the absent popup (nobody online, or a start refused for
// now) and the closed view (outside business hours: the service's opening times
// in its time zone and the customer's language, R-BH-1). Both offer the offline
// message form where the service takes offline messages (offline.js, R-OFF-1).
//
// Loaded (with away.css and its strings, i18n/away/<lang>.js) the first time
// one of these views is shown, so a chat that opens with an operator online
// never loads it; offline.js comes only when the form is offered
// (bench/widget_size.py counts each apart). app.js decides when; `app` is what
// it lends: {state, api, saved, drafts, serviceText, pageOrigin, pageUrl,
// render, recheck, unavailable}.

import { h } from './dom.js';
import en from './i18n/away/en.js';
import ja from './i18n/away/ja.js';
import ko from './i18n/away/ko.js';
import { svg } from './shared/dom.js';
import { translator } from './shared/i18n.js';

const STRINGS = { en, ja, ko };
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
// chat.start refused for now: the view says why, with the inquiry form.
// (Refused `outside_hours`, the closed view shows when the service opens.)
const REFUSED = {
  queue_full: { title: 'busyTitle', body: 'busyBody', noForm: 'busyNoForm' },
  too_many_chats: { title: 'tooManyTitle', body: 'tooManyBody', noForm: 'tooManyNoForm' },
};
// The line under the service's away message, by what the view offers next:
// the inquiry form (`body`), the offline form alone (`form`; none where the
// form's heading says it all), or nothing (`noForm`).
const SAY = {
  absent: { body: 'absentBody', noForm: 'absentNoForm' },
  own: { body: 'absentForm', form: null, noForm: 'absentLater' }, // under the service's own
  closed: { body: 'absentForm', form: null, noForm: 'absentLater' },
};
const CLOCK = 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 5v5.6l4 2.4-.8 1.3L11 13.4V7z';

let offline = null; // offline.js, once the service offers the form

/** Resolves once away.css applies (or failed to load: the view still shows). */
const styled = new Promise((resolve) => {
  document.head.append(h('link', { rel: 'stylesheet', href: new URL('./away.css', import.meta.url).href,
    onload: resolve, onerror: resolve }));
});

/** Resolves once the views can be drawn for `config`: styled, and with the
 * offline form's code where the service offers it (it may have turned it on
 * since the last check). */
export async function prepare(config) {
  await styled;
  if (config.offline_form && !offline) {
    const it = await import('./offline.js');
    await it.ready;
    offline = it;
  }
}

/** `say(key, holes)`: these views' strings, then the chat UI's (`state.t`). */
function speaker(state) {
  const own = translator(STRINGS, state.lang);
  return (key, holes) => (key in en ? own : state.t)(key, holes);
}

/** The header's title on these views. */
export function title(app) {
  const { state } = app;
  const closed = state.screen === 'closed';
  return speaker(state)(closed ? 'closedTitle' : REFUSED[state.refused]?.title || 'absentTitle');
}

/** The absent popup (nobody online, or a start refused) or the closed view
 * (outside business hours): the inquiry link and the offline form where the
 * service offers them; closed, the form takes the link's place. */
export function view(app) {
  const { state } = app;
  const config = state.config;
  const say = speaker(state);
  const closed = state.screen === 'closed';
  const away = app.serviceText('away_message');
  const refusal = !closed && REFUSED[state.refused];
  const form = config.offline_form && offline ? offline.form(app) : null;
  return absent(say, {
    recheck: app.recheck,
    lines: refusal || SAY[closed ? 'closed' : away.text ? 'own' : 'absent'],
    alert: refusal || (closed && state.refused === 'outside_hours'),
    away: !refusal && away,
    link: ((!closed || !config.offline_form) && config.inquiry_form_url) || null,
    closed,
    details: closed && opening(say, state.lang, config.business_hours,
      state.nextOpenAt || config.next_open_at),
    form,
  });
}

/** Nobody to chat with: no operator online, outside business hours (`closed`:
 * the opening times in `details`), or the server refused to start a chat now
 * (`alert`). Under the service's away message (in its language) a line chosen
 * by what is offered next (`lines`): the inquiry form's `link`, the offline `form`
 * (both when the service has both), or neither. */
function absent(say, { recheck, lines, alert, away, link, closed, details, form }) {
  const line = link ? lines.body : form && 'form' in lines ? lines.form : lines.noForm;
  return h('div', { class: ['body absent', closed && 'closed'], id: closed ? 'hdc-closed' : null },
    h('div', { class: 'absent-icon' },
      svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
        svg('path', { d: CLOCK }))),
    away?.text && h('p', { class: 'away', lang: away.lang, text: away.text }),
    line && h('p', { role: alert ? 'alert' : null, text: say(line) }),
    details,
    form,
    h('div', { class: 'actions' },
      link && h('a', { class: 'btn primary', href: link, target: '_blank', rel: 'noopener',
        'data-action': 'inquiry', text: say('inquiry') }),
      h('button', { type: 'button', class: 'btn ghost', onclick: recheck, text: say('checkAgain') })));
}

// --- outside business hours ---------------------------------------------------

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
function opening(say, lang, hours, nextOpenAt) {
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
      ? say('hoursYearly', { date: day(2000, ...date.split('-'), { month: 'long', day: 'numeric' }) })
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
      h('caption', { text: say('hoursTitle', { zone }) }),
      h('tbody', {}, DAYS.map((key, i) => h('tr', { dataset: { day: key } },
        h('th', { scope: 'row', text: day(2024, 1, 1 + i, { weekday: 'long' }) }), // a Monday
        h('td', { text: list(lang, (weekly[key] || []).map((slot) => slot.join('–'))) ||
          say('hoursClosed') }))))),
    weekly && country && h('p', { class: 'hours-note', text: say('hoursHolidays', { country }) }),
    dates.length > 0 && h('p', { class: 'hours-note', text: say('hoursClosedOn', { dates: list(lang, dates) }) }),
    next && h('p', { id: 'hdc-next-open', class: 'next-open', text: say('nextOpen', { when: next, zone }) }),
  ];
}
