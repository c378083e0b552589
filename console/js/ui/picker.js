// The canned-response picker of the reply box (R-CAN-1). Typing `/` at the start of
// the draft or after white space opens it; the text typed after the `/` filters the
// responses by shortcut, title and text, width- and kana-insensitive (fold.js), so
// `/ﾍﾝﾋﾟﾝ` finds `へんぴん`. ↑/↓ move, Enter (or a click) inserts, Esc closes and
// keeps what was typed. Inserting replaces the `/query` token with the response's
// text, its {{variables}} filled in, and keeps the rest of the draft; the caret
// ends after the insertion.
//
// ARIA: the reply box is a combobox whose popup is a listbox; the active option is
// its aria-activedescendant, so the focus never leaves the box. Nothing acts while
// an IME is composing (Enter and `/` belong to the IME then): the picker opens once
// the composition is committed.

import { h } from "../dom.js";
import { fold } from "../fold.js";
import { t } from "../i18n.js";

const MAX_SHOWN = 50;
const PREVIEW = 140;
// `/` or the full-width `／` a Japanese IME types, at the start or after white space,
// then the query (no white space) up to the caret.
const TOKEN = /(^|\s)([/／])(\S*)$/u;
const VARIABLES = /\{\{\s*(customer\.name|operator\.name|service\.name)\s*\}\}/g;

let pickers = 0;

/** The `/query` token that ends at `caret` in `value`: {start, end, query} or null. */
export function tokenAt(value, caret) {
  const found = TOKEN.exec(value.slice(0, caret));
  if (!found) return null;
  return { start: found.index + found[1].length, end: caret, query: found[3] };
}

/** `text` with `{{customer.name}}`, `{{operator.name}}` and `{{service.name}}`
 * filled from `values` (keys "customer.name", …). */
export function expand(text, values) {
  return String(text ?? "").replace(VARIABLES, (_, name) => values[name] ?? "");
}

/** The responses matching `query`, best first: shortcut starts with it, shortcut,
 * title, then text contains it; each set in shortcut order (the service's first). */
export function rank(items, query) {
  const needle = fold(query);
  const found = [];
  for (const item of items) {
    const { shortcut, title, text } = item.folded;
    let score;
    if (!needle || shortcut.startsWith(needle)) score = 0;
    else if (shortcut.includes(needle)) score = 1;
    else if (title.includes(needle)) score = 2;
    else if (text.includes(needle)) score = 3;
    else continue;
    found.push({ item, score });
  }
  const scope = (item) => (item.scope === "service" ? 0 : 1);
  found.sort((a, b) => a.score - b.score || scope(a.item) - scope(b.item)
    || a.item.folded.shortcut.localeCompare(b.item.folded.shortcut));
  return found.map(({ item }) => item);
}

/**
 * Attach the picker to the reply box `input` (a textarea). `load()` resolves with the
 * canned responses (asked once, on the first `/`); `values()` gives the variables at
 * insertion time; `enabled()` says whether the box takes replies now. Put `el` in a
 * positioned ancestor of the box. Attach it before any other keydown listener of the
 * box: the keys it handles go no further.
 */
export function cannedPicker(input, { load, values, enabled = () => true }) {
  const id = `picker-${++pickers}`;
  let items = null; // the responses, each with its folded fields
  let loading = null;
  let failed = false;
  let open = false;
  let shown = [];
  let active = -1;
  let dismissedAt = null; // the token Esc closed: it stays closed while it is typed on

  const list = h("ul", { class: "picker-list", id: `${id}-list`, role: "listbox", "aria-label": t("picker.label") });
  const message = h("p", { class: "picker-message", hidden: true });
  const el = h("div", { class: "picker", "data-testid": "canned-picker", hidden: true },
    h("div", { class: "picker-head", "aria-hidden": "true" },
      h("span", { class: "picker-title" }, t("picker.label")),
      h("span", { class: "picker-keys" }, t("picker.keys"))),
    list, message);
  const status = h("div", { class: "sr-only", role: "status", "aria-live": "polite" });

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  function fetchItems() {
    loading ||= Promise.resolve(load())
      .then((loaded) => {
        items = (loaded || []).map((item) => ({
          ...item,
          folded: { shortcut: fold(item.shortcut), title: fold(item.title), text: fold(item.text) },
        }));
        failed = false;
      })
      .catch(() => {
        failed = true;
        loading = null; // asked again on the next `/`
      });
    return loading;
  }

  function token() {
    if (input.selectionStart !== input.selectionEnd) return null;
    return tokenAt(input.value, input.selectionStart);
  }

  function setActive(index, { scroll = true } = {}) {
    active = index;
    [...list.children].forEach((option, i) => {
      const on = i === index;
      option.setAttribute("aria-selected", String(on));
      option.classList.toggle("active", on);
      if (on && scroll) option.scrollIntoView({ block: "nearest" });
    });
    if (index >= 0) input.setAttribute("aria-activedescendant", `${id}-opt-${index}`);
    else input.removeAttribute("aria-activedescendant");
  }

  function option(item, index, filled) {
    // What would be inserted, its variables filled in.
    const text = expand(item.text, filled);
    const preview = text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
    return h(
      "li",
      {
        id: `${id}-opt-${index}`,
        class: "picker-option",
        role: "option",
        "aria-selected": "false",
        "data-canned-id": item.canned_id,
        // The box keeps the focus (and its caret) when an option is clicked.
        onmousedown: (event) => event.preventDefault(),
        onmousemove: () => { if (active !== index) setActive(index, { scroll: false }); },
        onclick: () => insert(index),
      },
      h("span", { class: "picker-option-top" },
        h("span", { class: "picker-shortcut" }, `/${item.shortcut}`),
        h("span", { class: "picker-option-title" }, item.title),
        h("span", { class: ["picker-scope", `picker-scope-${item.scope}`] },
          t(item.scope === "service" ? "canned.scopeService" : "canned.scopePersonal"))),
      h("span", { class: "picker-preview" }, preview),
    );
  }

  function show(query) {
    open = true;
    el.hidden = false;
    input.setAttribute("aria-expanded", "true");
    if (!items) {
      list.replaceChildren();
      list.hidden = true;
      message.hidden = false;
      message.textContent = failed ? t("picker.failed") : t("common.loading");
      setActive(-1);
      return;
    }
    shown = rank(items, query).slice(0, MAX_SHOWN);
    const filled = values();
    list.replaceChildren(...shown.map((item, index) => option(item, index, filled)));
    list.hidden = !shown.length; // a listbox has options, or is not shown
    message.hidden = shown.length > 0;
    message.textContent = items.length ? t("picker.noMatch", { query }) : t("picker.none");
    setActive(shown.length ? 0 : -1);
    status.textContent = shown.length ? t("picker.count", { count: shown.length }) : message.textContent;
  }

  function close() {
    if (!open) return;
    open = false;
    shown = [];
    el.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
    status.textContent = "";
  }

  /** Follow the draft: open, filter or close as the token under the caret says. */
  function update(event) {
    const found = enabled() ? token() : null;
    if (!found) {
      dismissedAt = null;
      close();
      return;
    }
    if (found.start === dismissedAt) return;
    dismissedAt = null;
    // `/` typed into an IME's composition is the IME's: open once it is committed.
    if (!open && event?.isComposing) return;
    show(found.query);
    if (!items) {
      fetchItems().then(() => {
        const now = open && enabled() ? token() : null;
        if (now) show(now.query);
      });
    }
  }

  function insert(index) {
    const item = shown[index];
    const found = token();
    if (!item || !found) return;
    const text = expand(item.text, values());
    input.setRangeText(text, found.start, found.end, "end");
    close();
    input.focus();
  }

  function onKeydown(event) {
    if (!open || event.isComposing || event.keyCode === 229) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (shown.length) {
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActive((active + step + shown.length) % shown.length);
      }
    } else if (event.key === "Enter" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      if (!items && !failed) {
        // Still loading: Enter waits for the list rather than sending "/query".
      } else if (active < 0) {
        close(); // nothing to insert: Enter does what it does without the picker
        return;
      } else {
        insert(active);
      }
    } else if (event.key === "Escape") {
      dismissedAt = token()?.start ?? null;
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  const onCaret = (event) => {
    if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key) || event.type === "click") update(event);
  };
  const onBlur = () => close();

  fetchItems(); // once per screen visit, before the first `/`
  input.addEventListener("keydown", onKeydown);
  input.addEventListener("input", update);
  input.addEventListener("compositionend", update);
  input.addEventListener("keyup", onCaret);
  input.addEventListener("click", onCaret);
  input.addEventListener("blur", onBlur);

  return {
    el,
    status,
    isOpen: () => open,
    close,
    /** Ask for the responses again on the next `/` (after they were edited). */
    reload() {
      items = null;
      loading = null;
    },
    destroy() {
      close();
      input.removeEventListener("keydown", onKeydown);
      input.removeEventListener("input", update);
      input.removeEventListener("compositionend", update);
      input.removeEventListener("keyup", onCaret);
      input.removeEventListener("click", onCaret);
      input.removeEventListener("blur", onBlur);
    },
  };
}
