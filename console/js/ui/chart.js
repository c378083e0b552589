// A per-day bar chart drawn as inline SVG: processed and abandoned chats stacked.

import { svg } from "../dom.js";

export function stackedBars(days, { series, height = 240, label = "" }) {
  const width = Math.max(520, days.length * 28 + 60);
  const pad = { top: 16, right: 12, bottom: 34, left: 36 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const totals = days.map((day) => series.reduce((sum, s) => sum + (Number(day[s.key]) || 0), 0));
  const max = Math.max(1, ...totals);
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const y = (value) => pad.top + plotH - (value / top) * plotH;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(4, Math.min(22, slot * 0.62));
  const labelEvery = Math.ceil(days.length / 12);

  const grid = [];
  for (let value = 0; value <= top; value += step) {
    grid.push(
      svg("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "chart-grid" }),
      svg("text", { x: pad.left - 6, y: y(value) + 4, class: "chart-axis", "text-anchor": "end" }, String(value)),
    );
  }
  const bars = days.map((day, i) => {
    const x = pad.left + slot * i + (slot - barW) / 2;
    let base = 0;
    const parts = series.map((s) => {
      const value = Number(day[s.key]) || 0;
      const rect = svg("rect", {
        x, width: barW, y: y(base + value), height: Math.max(0, y(base) - y(base + value)),
        class: `chart-bar ${s.className}`, rx: 2,
      }, svg("title", {}, `${day.date}: ${s.label} ${value}`));
      base += value;
      return rect;
    });
    const tick = i % labelEvery === 0
      ? svg("text", { x: x + barW / 2, y: height - pad.bottom + 16, class: "chart-axis", "text-anchor": "middle" }, shortDate(day.date))
      : null;
    return svg("g", { class: "chart-day", "data-date": day.date }, parts, tick);
  });
  return svg(
    "svg",
    { class: "chart", viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": label, preserveAspectRatio: "xMidYMid meet" },
    grid,
    svg("line", { x1: pad.left, x2: width - pad.right, y1: y(0), y2: y(0), class: "chart-baseline" }),
    bars,
  );
}

function niceStep(max) {
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough || 1));
  const choices = [1, 2, 5, 10].map((m) => m * magnitude);
  return Math.max(1, choices.find((c) => c >= rough) || magnitude * 10);
}

function shortDate(date) {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(date));
  return match ? `${Number(match[2])}/${Number(match[3])}` : String(date);
}
