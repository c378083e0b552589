// Settings: the service's business hours (R-HRS-1). A week of slots, each a pair of
// "HH:MM" times in the service's time zone: an end of "24:00" is midnight, an end
// before its start crosses midnight into the next day (the slot belongs to the day it
// starts). Plus the country whose public holidays close the service, and closed
// dates ("YYYY-MM-DD" once, "MM-DD" every year). Times are typed as text, so "24:00"
// can be written (a time input cannot hold it); "9", "900" and full-width digits
// become "09:00" when the field is left.

import { h, icon } from "../dom.js";
import { t } from "../i18n.js";

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_MINUTES = 24 * 60;
const WEEK_MINUTES = 7 * DAY_MINUTES;
const MAX_SLOTS = 10; // a day
const MAX_CLOSED_DATES = 400;
const TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/** The contract's default, for a service whose settings have no hours yet. */
function defaultHours() {
  const weekday = [["09:00", "18:00"]];
  return {
    enabled: false,
    weekly: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, sat: [], sun: [] },
    holiday_country: "JP",
    closed_dates: [],
  };
}

/** `value` in the shape the editor gives back: every day, copies of the slots (any
 * other field the server sends is kept as it is). */
export function normalizeHours(value) {
  const given = value && typeof value === "object" ? value : defaultHours();
  const weekly = Object.fromEntries(DAYS.map((day) => [day, (given.weekly?.[day] || []).map((slot) => [slot[0], slot[1]])]));
  return {
    ...given,
    enabled: Boolean(given.enabled),
    weekly,
    holiday_country: given.holiday_country ?? null,
    closed_dates: [...(given.closed_dates || [])],
  };
}

/** "9", "900", "9:00" and "０９：００" as "09:00"; anything else as typed. */
export function normalTime(text) {
  const typed = String(text ?? "").normalize("NFKC").trim();
  const found = /^(\d{1,2})(?::?(\d{2}))?$/.exec(typed);
  return found ? `${found[1].padStart(2, "0")}:${found[2] ?? "00"}` : typed;
}

function minutes(time) {
  const [hours, mins] = time.split(":").map(Number);
  return hours * 60 + mins;
}

/** A slot's start, or end ("24:00" only as an end). */
export function validTime(time, { end = false } = {}) {
  return TIME.test(time) || (end && time === "24:00");
}

/** "2026/12/29", "12-31" and full-width digits as the API writes them ("2026-12-29",
 * "12-31"); anything else as typed. */
export function normalDate(text) {
  const typed = String(text ?? "").normalize("NFKC").trim().replaceAll("/", "-");
  const once = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(typed);
  if (once) return `${once[1]}-${once[2].padStart(2, "0")}-${once[3].padStart(2, "0")}`;
  const yearly = /^(\d{1,2})-(\d{1,2})$/.exec(typed);
  if (yearly) return `${yearly[1].padStart(2, "0")}-${yearly[2].padStart(2, "0")}`;
  return typed;
}

/** A real day: "YYYY-MM-DD", or "MM-DD" (29 February allowed: leap years have it). */
export function validDate(text) {
  const once = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const yearly = /^(\d{2})-(\d{2})$/.exec(text);
  const [year, month, day] = once ? once.slice(1).map(Number) : yearly ? [2000, ...yearly.slice(1).map(Number)] : [];
  if (!year) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** What is wrong with a week: [{day, key, vars}] (the first problem of each day). */
export function weekProblems(weekly) {
  const problems = new Map();
  const spans = [];
  DAYS.forEach((day, index) => {
    const slots = weekly[day] || [];
    if (slots.length > MAX_SLOTS) problems.set(day, { key: "settings.hours.tooManySlots", vars: { max: MAX_SLOTS } });
    for (const [start, end] of slots) {
      if (!validTime(start) || !validTime(end, { end: true })) {
        if (!problems.has(day)) problems.set(day, { key: "settings.hours.badTime" });
        continue;
      }
      if (start === end) {
        if (!problems.has(day)) problems.set(day, { key: "settings.hours.empty" });
        continue;
      }
      const from = index * DAY_MINUTES + minutes(start);
      // An end before the start is on the next day.
      const to = index * DAY_MINUTES + minutes(end) + (minutes(end) < minutes(start) ? DAY_MINUTES : 0);
      spans.push({ day, from, to });
    }
  });
  // Slots of a week must not overlap, also across midnight and from Sunday into Monday.
  for (let i = 0; i < spans.length; i += 1) {
    for (let j = i + 1; j < spans.length; j += 1) {
      const [a, b] = [spans[i], spans[j]];
      const overlap = [-WEEK_MINUTES, 0, WEEK_MINUTES].some((shift) => a.from < b.to + shift && b.from + shift < a.to);
      if (overlap && !problems.has(b.day)) {
        problems.set(b.day, { key: "settings.hours.overlap", vars: { day: t(`day.${a.day}`) } });
      }
    }
  }
  return DAYS.filter((day) => problems.has(day)).map((day) => ({ day, ...problems.get(day) }));
}

/**
 * The business-hours fields of the settings form. `value` is the settings'
 * `business_hours`; `countries` GET /settings/holiday-countries' list; `timezone` the
 * time-zone field, shown with them; `errorSlot(field, {control, label})` makes the
 * error line of a field (the server's 400s name `business_hours.weekly.mon`, …).
 * `value()` gives the hours as edited; `problems()` what is wrong with them, as
 * [{field, text}].
 */
export function hoursEditor(value, { countries = [], timezone = null, errorSlot, onChange = () => {} }) {
  const hours = normalizeHours(value);
  const days = {}; // day -> {list, add, closed, error}
  let closedDates = [...hours.closed_dates];

  const enabled = h("input", { type: "checkbox", name: "business_hours.enabled", checked: hours.enabled, "data-testid": "hours-enabled", onchange: onChange });
  const enabledError = errorSlot("business_hours.enabled", { control: enabled, label: t("settings.hours.enabled") });

  // --- the week ---------------------------------------------------------------------

  function timeInput(day, edge, time) {
    const input = h("input", {
      type: "text", class: "hours-time", inputmode: "numeric", autocomplete: "off", spellcheck: "false",
      maxlength: 5, placeholder: edge === "start" ? "09:00" : "18:00", value: time,
      "data-day": day, "data-edge": edge, "aria-describedby": `${days[day].errorId} hours-help`,
      onchange: () => {
        input.value = normalTime(input.value);
        paintDay(day);
        onChange();
      },
      oninput: () => paintNextDay(input.closest(".hours-slot")),
    });
    return input;
  }

  function slotRow(day, [start, end]) {
    const row = h("li", { class: "hours-slot", "data-testid": "hours-slot" });
    const remove = h("button", { class: "btn btn-ghost btn-icon", type: "button", "data-action": "remove-slot",
      onclick: () => {
        row.remove();
        paintDay(day);
        onChange();
        (days[day].list.querySelector("input") || days[day].add).focus();
      } }, icon("trash", 16));
    row.append(
      timeInput(day, "start", start),
      h("span", { class: "hours-dash", "aria-hidden": "true" }, "–"),
      timeInput(day, "end", end),
      h("span", { class: "hours-next-day", hidden: true }, t("settings.hours.nextDay")),
      remove);
    paintNextDay(row);
    return row;
  }

  /** "next day" beside an end before its start. */
  function paintNextDay(row) {
    if (!row) return;
    const [start, end] = [...row.querySelectorAll("input")].map((input) => normalTime(input.value));
    row.querySelector(".hours-next-day").hidden = !(validTime(start) && validTime(end, { end: true }) && end !== "24:00" && end < start);
  }

  /** Names that say which day and slot each control is; "closed" on a day without slots. */
  function paintDay(day) {
    const { list, add, closed } = days[day];
    const name = t(`day.${day}`);
    [...list.children].forEach((row, index) => {
      const [start, end] = row.querySelectorAll("input");
      const slot = { day: name, n: index + 1 };
      start.setAttribute("aria-label", t("settings.hours.startOf", slot));
      end.setAttribute("aria-label", t("settings.hours.endOf", slot));
      row.querySelector("[data-action=remove-slot]").setAttribute("aria-label", t("settings.hours.removeSlot", slot));
      row.querySelector("[data-action=remove-slot]").title = t("settings.hours.removeSlot", slot);
    });
    closed.hidden = list.children.length > 0;
    add.disabled = list.children.length >= MAX_SLOTS;
  }

  function dayRow(day) {
    const name = t(`day.${day}`);
    const errorId = `error-business_hours-weekly-${day}`;
    days[day] = { errorId };
    const list = h("ul", { class: "hours-slots", "aria-label": name });
    const closed = h("span", { class: "hours-closed muted" }, t("settings.hours.closed"));
    const add = h("button", { class: "btn btn-sm", type: "button", "data-action": "add-slot", "aria-label": t("settings.hours.addOn", { day: name }),
      onclick: () => {
        const last = [...list.querySelectorAll(".hours-slot")].pop();
        const previousEnd = last ? normalTime(last.querySelectorAll("input")[1].value) : "";
        const start = validTime(previousEnd) ? previousEnd : "09:00";
        const row = slotRow(day, [start, ""]);
        list.append(row);
        paintDay(day);
        onChange();
        row.querySelectorAll("input")[last ? 1 : 0].focus();
      } }, icon("plus", 16), h("span", {}, t("settings.hours.add")));
    Object.assign(days[day], { list, add, closed });
    const error = errorSlot(`business_hours.weekly.${day}`, {
      label: name,
      control: () => list.querySelector("input") || add,
      id: errorId,
    });
    list.append(...(hours.weekly[day] || []).map((slot) => slotRow(day, slot)));
    paintDay(day);
    return h("div", { class: "hours-day", role: "group", "aria-labelledby": `hours-day-${day}`, "data-day": day, "data-testid": `hours-day-${day}` },
      h("span", { class: "hours-day-name", id: `hours-day-${day}` }, name),
      h("div", { class: "hours-day-body" }, h("div", { class: "hours-day-row" }, list, closed, add), error));
  }

  const weekError = errorSlot("business_hours.weekly", { label: t("settings.hours.weekly"), control: () => days.mon.list.querySelector("input") || days.mon.add });
  const week = h("fieldset", { class: "field hours-week", "data-testid": "hours-weekly" },
    h("legend", {}, t("settings.hours.weekly")),
    h("p", { class: "help", id: "hours-help" }, t("settings.hours.weeklyHelp")),
    DAYS.map(dayRow),
    weekError);

  // --- public holidays ----------------------------------------------------------------

  const known = new Set(countries.map((country) => country.code));
  const holiday = h("select", { id: "hours-holiday-country", name: "business_hours.holiday_country", "data-testid": "hours-holiday-country", onchange: onChange },
    h("option", { value: "" }, t("settings.hours.noHolidays")),
    countries.map((country) => h("option", { value: country.code }, country.name ? `${country.name} (${country.code})` : country.code)),
    // The saved country, when the list could not be read (or no longer has it).
    hours.holiday_country && !known.has(hours.holiday_country) ? h("option", { value: hours.holiday_country }, hours.holiday_country) : null);
  holiday.value = hours.holiday_country || "";
  const holidayError = errorSlot("business_hours.holiday_country", { control: holiday, label: t("settings.hours.holidays") });
  const holidays = h("div", { class: "field" },
    h("label", { for: holiday.id }, t("settings.hours.holidays")), holiday,
    h("p", { class: "help" }, t("settings.hours.holidaysHelp")), holidayError);

  // --- closed dates -------------------------------------------------------------------

  const dateList = h("ul", { class: "closed-dates", "data-testid": "hours-closed-dates", "aria-label": t("settings.hours.closedDates") });
  const dateInput = h("input", { type: "text", id: "hours-closed-date", name: "business_hours.closed_date", autocomplete: "off", spellcheck: "false",
    placeholder: t("settings.hours.datePlaceholder"), maxlength: 10, "data-testid": "hours-closed-date-input" });
  const dateAdd = h("button", { class: "btn", type: "button", "data-action": "add-closed-date", onclick: addDate },
    icon("plus", 16), h("span", {}, t("settings.hours.addDate")));
  const datesError = errorSlot("business_hours.closed_dates", { control: dateInput, label: t("settings.hours.closedDates") });

  function paintDates() {
    dateList.replaceChildren(...closedDates.map((date) => {
      const yearly = date.length === 5;
      return h("li", { class: "closed-date", "data-date": date },
        h("span", { class: "closed-date-value" }, date),
        yearly ? h("span", { class: "badge badge-muted" }, t("settings.hours.everyYear")) : null,
        h("button", { class: "btn btn-ghost btn-icon", type: "button", "data-action": "remove-closed-date",
          "aria-label": t("settings.hours.removeDate", { date }), title: t("settings.hours.removeDate", { date }),
          onclick: () => {
            closedDates = closedDates.filter((other) => other !== date);
            paintDates();
            onChange();
            dateInput.focus();
          } }, icon("close", 16)));
    }));
    dateList.hidden = closedDates.length === 0;
  }

  function addDate() {
    const date = normalDate(dateInput.value);
    datesError.hidden = true;
    dateInput.removeAttribute("aria-invalid");
    if (!date) return;
    const problem = !validDate(date) ? "settings.hours.badDate"
      : closedDates.includes(date) ? "settings.hours.dateTwice"
        : closedDates.length >= MAX_CLOSED_DATES ? "settings.hours.tooManyDates" : null;
    if (problem) {
      datesError.textContent = t(problem, { max: MAX_CLOSED_DATES });
      datesError.hidden = false;
      dateInput.setAttribute("aria-invalid", "true");
      dateInput.focus();
      return;
    }
    closedDates = [...closedDates, date];
    dateInput.value = "";
    paintDates();
    onChange();
  }

  dateInput.addEventListener("keydown", (event) => {
    // Enter adds the date (never the IME's Enter); it does not submit the settings.
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (!event.isComposing && event.keyCode !== 229) addDate();
  });
  paintDates();
  const dates = h("div", { class: "field" },
    h("label", { for: dateInput.id }, t("settings.hours.closedDates")),
    h("p", { class: "help" }, t("settings.hours.closedDatesHelp")),
    dateList,
    h("div", { class: "closed-date-add" }, dateInput, dateAdd),
    datesError);

  const el = h("div", { class: "hours-editor", "data-testid": "business-hours" },
    h("label", { class: "toggle" }, enabled, h("span", {}, t("settings.hours.enabled"))),
    h("p", { class: "help hours-enabled-help" }, t("settings.hours.enabledHelp")),
    enabledError,
    timezone,
    week,
    holidays,
    dates);

  function readWeek() {
    return Object.fromEntries(DAYS.map((day) => [day, [...days[day].list.querySelectorAll(".hours-slot")].map((row) =>
      [...row.querySelectorAll("input")].map((input) => normalTime(input.value)))]));
  }

  return {
    el,
    value: () => ({
      ...hours,
      enabled: enabled.checked,
      weekly: readWeek(),
      holiday_country: holiday.value || null,
      closed_dates: [...closedDates],
    }),
    /** What is wrong before asking the server: [{field, text}]. */
    problems: () => weekProblems(readWeek()).map(({ day, key, vars }) => ({ field: `business_hours.weekly.${day}`, text: t(key, vars) })),
  };
}
