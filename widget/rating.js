// The satisfaction screen: a score from 1 to 5 (a radio group, so arrow keys
// work) and an optional comment. The chosen score shows as filled stars (the
// others are outlines) and in words, never by colour alone.

import { h, icon } from './dom.js';

export function rating(t, { prompt, busy, done, error, score: chosen, comment: typed, submit, back,
  returnsTo }) {
  // Back to the chat while it is open; after the end, back to the ended view.
  const backText = t(returnsTo === 'ended' ? 'backToEnd' : 'back');
  if (done) {
    return h('div', { class: 'body center rating-done' },
      h('p', { class: 'lead', role: 'status', text: t('ratingThanks') }),
      h('button', { type: 'button', class: 'btn primary', onclick: back, text: backText }));
  }
  const labels = [];
  const stars = [1, 2, 3, 4, 5].map((score) => {
    const input = h('input', { type: 'radio', name: 'score', value: String(score),
      id: `hdc-score-${score}`, class: 'sr-only', required: score === 1, checked: score === chosen });
    const label = h('label', { for: input.id, title: t('star', { n: score }),
      class: score <= (chosen || 0) ? 'on' : null },
      icon('star'), h('span', { class: 'sr-only', text: t('star', { n: score }) }));
    labels.push(label);
    return [input, label];
  });
  const comment = h('textarea', { id: 'hdc-comment', rows: '3', maxlength: '1000' });
  comment.value = typed || '';
  // What the radio group says to a screen reader, shown to everyone else.
  const scoreText = h('p', { class: 'score-text', 'aria-hidden': 'true', 'data-score': chosen || '',
    text: chosen ? t('star', { n: chosen }) : '' });
  const form = h('form', {
    class: 'body rating',
    onchange: () => {
      const chosen = Number(form.elements.score.value || 0);
      labels.forEach((label, i) => label.classList.toggle('on', i < chosen));
      scoreText.dataset.score = chosen ? String(chosen) : '';
      scoreText.textContent = chosen ? t('star', { n: chosen }) : '';
    },
    onsubmit: (event) => {
      event.preventDefault();
      const score = Number(form.elements.score.value);
      if (score >= 1) submit(score, comment.value.trim());
    },
  },
  h('h2', { id: 'hdc-rating-title', text: t('ratingTitle') }),
  // The service's rating message, {text, lang}: marked with its language.
  prompt && h('p', { class: 'muted', lang: prompt.lang || null, text: prompt.text }),
  h('fieldset', { class: 'stars' }, h('legend', { class: 'sr-only', text: t('ratingScore') }), stars),
  scoreText,
  h('label', { for: comment.id, text: t('ratingComment') }),
  comment,
  error && h('p', { class: 'error', role: 'alert', text: t(error) }),
  h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'btn ghost', onclick: back, text: backText }),
    h('button', { type: 'submit', class: 'btn primary', 'data-action': 'submit-rating',
      disabled: busy, text: t('ratingSubmit') })));
  return form;
}
