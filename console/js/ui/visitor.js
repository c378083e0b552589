// The visitor's context in the chat's customer panel (R-VIS-1): the page of the
// host site the customer is on now, where they came from, the pages they opened
// during this chat (newest first, with times) and how many chats they started
// before, linked to Chat History filtered to them. Kept live by `visitor.page`.
// Titles and URLs are text; a URL is a link only when it is http(s), and then
// opens in a new tab without telling the site where it was opened from.

import { h, icon } from "../dom.js";
import { formatTime, t } from "../i18n.js";

const MAX_PAGES = 20;

/** http(s) URLs only: anything else (javascript:, data:, garbage) is never a link. */
export function safeHttpUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A page's title as a link to it (or as text), with its URL under it as text. */
export function pageLink(page, { testId } = {}) {
  const href = safeHttpUrl(page.url);
  const label = (page.title || "").trim() || page.url;
  const main = href
    ? h("a", { class: "visitor-link", href, target: "_blank", rel: "noopener noreferrer", "data-testid": testId, title: page.url },
      h("span", {}, label), h("span", { class: "sr-only" }, t("visitor.newTab")))
    : h("span", { class: "visitor-link", "data-testid": testId }, label);
  return h("span", { class: "visitor-page" }, main,
    label !== page.url ? h("span", { class: "visitor-url" }, page.url) : null);
}

/** Chat History filtered to one customer. */
export function historyHref(customerId) {
  return `#/history?customer_id=${encodeURIComponent(customerId)}`;
}

/** `visitor` as GET /chats/{id} answers it (or null); `customerId` for the
 * earlier-chats link. */
export function visitorPanel(visitor, { customerId } = {}) {
  let pages = [];
  let current = null;
  let referrer = null;
  let previous = null;

  const currentEl = h("div", { class: "visitor-current", "data-testid": "visitor-current", "aria-live": "polite" });
  const referrerEl = h("div", { class: "visitor-referrer", "data-testid": "visitor-referrer" });
  const earlierEl = h("div", { class: "visitor-earlier", "data-testid": "visitor-earlier" });
  const list = h("ol", { class: "visitor-pages", "data-testid": "visitor-pages", "aria-labelledby": "visitor-pages-title" });
  const pagesCount = h("span", { class: "muted small" });
  const el = h("section", { class: "info-section visitor-panel", "aria-labelledby": "visitor-title", "data-testid": "visitor-panel" },
    h("h3", { id: "visitor-title" }, icon("globe", 14), h("span", {}, t("visitor.title"))),
    h("div", { class: "field" }, h("span", { class: "label" }, t("visitor.current")), currentEl),
    h("div", { class: "field" }, h("span", { class: "label" }, t("visitor.referrer")), referrerEl),
    h("div", { class: "field" },
      h("span", { class: "label", id: "visitor-pages-title" }, t("visitor.pages"), " ", pagesCount),
      list),
    earlierEl);

  const key = (page) => `${page.at || ""}|${page.url}`;

  function paint() {
    currentEl.replaceChildren(current
      ? h("div", { class: "readonly visitor-box" }, pageLink(current, { testId: "visitor-current-link" }),
        current.at ? h("time", { class: "visitor-time", datetime: current.at }, t("visitor.since", { time: formatTime(current.at, { withDate: false, withSeconds: true }) })) : null)
      : h("div", { class: "readonly" }, t("visitor.noPage")));
    referrerEl.replaceChildren(h("div", { class: "readonly visitor-box" }, referrer
      ? pageLink({ url: referrer, title: null }, { testId: "visitor-referrer-link" })
      : t("visitor.noReferrer")));
    // Newest first.
    const newest = [...pages].reverse();
    pagesCount.textContent = newest.length ? `(${newest.length})` : "";
    list.replaceChildren(...(newest.length
      ? newest.map((page) => h("li", { class: "visitor-page-row" },
        h("time", { class: "visitor-time", datetime: page.at || "" }, formatTime(page.at, { withDate: false, withSeconds: true })),
        pageLink(page)))
      : [h("li", { class: "visitor-empty muted" }, t("visitor.noPages"))]));
    if (previous === null) {
      earlierEl.replaceChildren();
    } else if (previous > 0 && customerId) {
      earlierEl.replaceChildren(h("a", { class: "visitor-earlier-link", href: historyHref(customerId), "data-testid": "visitor-earlier-link" },
        icon("history", 16), h("span", {}, previous === 1 ? t("visitor.earlierOne") : t("visitor.earlier", { count: previous }))));
    } else {
      earlierEl.replaceChildren(h("span", { class: "muted small" }, t("visitor.firstChat")));
    }
  }

  function update(next) {
    if (!next || typeof next !== "object") return;
    pages = Array.isArray(next.pages) ? next.pages.filter((page) => page && typeof page.url === "string").slice(-MAX_PAGES) : [];
    current = next.current_page && typeof next.current_page.url === "string" ? next.current_page : pages[pages.length - 1] || null;
    referrer = typeof next.referrer === "string" && next.referrer ? next.referrer : null;
    previous = Number.isInteger(next.previous_chats) ? next.previous_chats : null;
    paint();
  }

  /** A `visitor.page` that arrived: the current page, and the newest of the list. */
  function addPage(page) {
    if (!page || typeof page.url !== "string") return;
    if (!pages.some((known) => key(known) === key(page))) {
      pages = [...pages, page].sort((a, b) => String(a.at || "").localeCompare(String(b.at || ""))).slice(-MAX_PAGES);
    }
    current = pages[pages.length - 1];
    paint();
  }

  update(visitor || {});
  return { el, update, addPage };
}
