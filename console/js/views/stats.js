// Statistics (R-CH-5): the period's figures and chats per day, processed vs abandoned.

import { api } from "../api.js";
import { h } from "../dom.js";
import { formatDuration, formatNumber, t } from "../i18n.js";
import { stackedBars } from "../ui/chart.js";
import { defaultPeriod } from "./history.js";

// The period shown, kept while the console is open: local days of the service.
let remembered = null;

/** by_day entries as {date, processed, abandoned}, whatever the field names. */
export function normalizeDays(byDay) {
  return (byDay || []).map((day) => {
    const processed = Number(day.processed) || 0;
    const abandoned = Number(day.unprocessed ?? day.abandoned) || 0;
    return { date: day.date || day.day, processed, abandoned, chats: Number(day.chats) || processed + abandoned };
  });
}

export function render(container) {
  remembered ||= defaultPeriod(30);
  const from = h("input", { type: "date", name: "from", value: remembered.from });
  const to = h("input", { type: "date", name: "to", value: remembered.to });
  const cards = h("div", { class: "stat-cards", "data-testid": "stat-cards" });
  const chart = h("div", { class: "chart-wrap", "data-testid": "stats-chart" });
  const legend = h("div", { class: "legend" },
    h("span", { class: "legend-item" }, h("i", { class: "swatch swatch-processed" }), t("stats.processed")),
    h("span", { class: "legend-item" }, h("i", { class: "swatch swatch-abandoned" }), t("stats.abandoned")));

  container.append(
    h("div", { class: "page" },
      h("header", { class: "page-head" }, h("h1", {}, t("stats.title")),
        h("form", { class: "inline-form", onsubmit: (event) => { event.preventDefault(); load(); } },
          h("label", { class: "inline-label" }, t("history.from"), from),
          h("label", { class: "inline-label" }, t("history.to"), to),
          h("button", { class: "btn btn-primary", type: "submit" }, t("stats.apply")))),
      cards,
      h("section", { class: "card" },
        h("div", { class: "card-head" }, h("h2", {}, t("stats.byDay")), legend),
        chart)),
  );

  let generation = 0; // loads asked for: an older answer never paints over a newer one
  const card = (label, value, kind) =>
    h("div", { class: ["stat-card", kind && `stat-${kind}`] }, h("div", { class: "stat-label" }, label), h("div", { class: "stat-value" }, value));

  async function load() {
    remembered = { from: from.value, to: to.value };
    const mine = ++generation; // only the newest period asked for is shown
    cards.replaceChildren(h("p", { class: "muted" }, t("common.loading")));
    try {
      const stats = await api.stats(from.value, to.value);
      if (mine !== generation) return;
      cards.replaceChildren(
        card(t("stats.chats"), formatNumber(stats.chats)),
        card(t("stats.processed"), formatNumber(stats.processed), "processed"),
        card(t("stats.abandoned"), formatNumber(stats.unprocessed ?? stats.abandoned), "abandoned"),
        card(t("stats.avgFirstResponse"), formatDuration(stats.avg_first_response_s)),
        card(t("stats.avgWait"), formatDuration(stats.avg_wait_s)),
        card(t("stats.avgRating"), stats.avg_rating === null || stats.avg_rating === undefined ? t("common.none") : `${formatNumber(stats.avg_rating, 1)} / 5`),
      );
      const days = normalizeDays(stats.by_day);
      chart.replaceChildren(
        days.length
          ? stackedBars(days, {
            label: t("stats.byDay"),
            series: [
              { key: "processed", label: t("stats.processed"), className: "bar-processed" },
              { key: "abandoned", label: t("stats.abandoned"), className: "bar-abandoned" },
            ],
          })
          : h("p", { class: "muted" }, t("stats.noData")),
      );
    } catch (error) {
      if (mine !== generation) return;
      cards.replaceChildren(h("p", { class: "muted" }, error.missingRoute ? t("common.unavailable", { message: `HTTP ${error.status}` }) : t("common.error", { message: error.message })));
      chart.replaceChildren();
    }
  }

  load();
  return {};
}
