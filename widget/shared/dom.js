// Building DOM without markup strings, for both front ends (the chat frame and
// the operator console): text always goes in as text nodes, so nothing a customer
// or operator typed can ever become HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';
// Set as properties: they are what the user may change afterwards.
const STATES = new Set(['checked', 'disabled', 'selected', 'readOnly']);

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/** Props: `class` (a string, or a list whose falsy parts are dropped), `text`,
 * `dataset`, `on<event>` listeners, `value`, the states above, else attributes
 * (`true` is an empty attribute). `null`, `undefined` and `false` set nothing. */
function apply(el, props, isSvg) {
  let value;
  for (const [key, prop] of Object.entries(props || {})) {
    if (prop == null || prop === false) continue;
    if (key === 'class') el.setAttribute('class', Array.isArray(prop) ? prop.filter(Boolean).join(' ') : prop);
    else if (key === 'text') el.textContent = String(prop);
    else if (key === 'dataset') Object.assign(el.dataset, prop);
    else if (key.startsWith('on') && typeof prop === 'function') el.addEventListener(key.slice(2), prop);
    else if (key === 'value') value = prop;
    else if (!isSvg && STATES.has(key)) el[key] = Boolean(prop);
    else el.setAttribute(key, prop === true ? '' : String(prop));
  }
  return value;
}

/** h('button', {class: 'btn', onclick}, 'Label', child, [more]) */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  const value = apply(el, props, false);
  append(el, children);
  if (value !== undefined) el.value = value; // after a <select>'s options exist
  return el;
}

/** The same for SVG (icons, charts). */
export function svg(tag, props = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, props, true);
  append(el, children);
  return el;
}

/** Replace what `el` shows with `children`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
