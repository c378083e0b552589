// Canned responses (R-CAN-1): the service's set, which administrators manage, and my
// personal set; create, edit, delete, and a search that folds width and kana as the
// reply box's `/` picker does (ui/picker.js inserts them).

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { fold } from "../fold.js";
import { t } from "../i18n.js";
import * as session from "../session.js";
import { confirmDialog, openDialog } from "../ui/dialog.js";
import { toast, toastError } from "../ui/toast.js";

const MAX_TEXT = 5000;
// InvalidInput's message starts with the field it is about: "shortcut: …".
const FIELD = /^([\w.[\]-]{1,60}): /;
const VARIABLES = [
  ["{{customer.name}}", "canned.varCustomer"],
  ["{{operator.name}}", "canned.varOperator"],
  ["{{service.name}}", "canned.varService"],
];

export function render(container) {
  const me = session.operator() || {};
  const admin = session.isAdmin();
  let responses = [];
  let query = "";

  const search = h("input", {
    type: "search",
    autocomplete: "off",
    placeholder: t("canned.searchPlaceholder"),
    "data-testid": "canned-search",
    oninput: () => {
      query = search.value;
      paint();
    },
  });
  const message = h("p", { class: "list-message muted", role: "status" });
  const sets = {
    service: set("service", { editable: admin }),
    personal: set("personal", { editable: true }),
  };

  container.append(
    h("div", { class: "page page-medium canned-page" },
      h("header", { class: "page-head" },
        h("div", {}, h("h1", {}, t("canned.title")), h("p", { class: "muted" }, t("canned.intro")))),
      h("div", { class: "card canned-tools" },
        h("p", { class: "help canned-variables", "data-testid": "canned-variables" },
          t("canned.variables"), " ",
          VARIABLES.map(([code, key], i) => [
            i ? " · " : null,
            h("code", { class: "variable" }, code), " ", t(key),
          ])),
        h("div", { class: "field canned-search" }, h("label", {}, t("canned.search"), search))),
      message,
      sets.service.el,
      sets.personal.el),
  );

  /** One set (its heading, help, Add button and table). */
  function set(scope, { editable }) {
    const tbody = h("tbody", {});
    const empty = h("p", { class: "list-message muted" });
    const headingId = `canned-${scope}-title`;
    const el = h(
      "section",
      { class: "card table-card canned-set", "aria-labelledby": headingId, "data-scope": scope },
      h("div", { class: "canned-set-head" },
        h("div", {},
          h("h2", { id: headingId }, t(scope === "service" ? "canned.service" : "canned.personal")),
          h("p", { class: "help" },
            t(scope === "personal" ? "canned.personalHelp" : editable ? "canned.serviceHelp" : "canned.serviceReadOnly"))),
        editable
          ? h("button", { class: "btn btn-primary", type: "button", "data-action": `add-${scope}`, onclick: () => edit(scope, null) },
            icon("plus"), h("span", {}, t(scope === "service" ? "canned.addService" : "canned.addPersonal")))
          : null),
      h("table", { class: "table canned-table", "data-testid": `canned-${scope}` },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col", class: "col-shortcut" }, t("canned.shortcut")),
          h("th", { scope: "col", class: "col-title" }, t("canned.titleField")),
          h("th", { scope: "col" }, t("canned.text")),
          editable ? h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only" }, t("canned.actions"))) : null)),
        tbody),
      empty,
    );

    function paintRows(items) {
      tbody.replaceChildren(...items.map((item) => h(
        "tr",
        { "data-canned-id": item.canned_id },
        h("td", { class: "nowrap" }, h("code", { class: "shortcut" }, `/${item.shortcut}`)),
        h("td", { class: "strong" }, item.title),
        h("td", {}, h("div", { class: "canned-text" }, item.text)),
        editable
          ? h("td", { class: "row-actions" },
            h("button", { class: "btn btn-sm", type: "button", "aria-label": t("canned.editLabel", { title: item.title }), onclick: () => edit(scope, item) },
              icon("edit", 16), h("span", {}, t("canned.edit"))),
            h("button", { class: "btn btn-sm btn-danger-outline", type: "button", "aria-label": t("canned.deleteLabel", { title: item.title }), onclick: () => remove(item) },
              icon("trash", 16), h("span", {}, t("canned.delete"))))
          : null,
      )));
      const total = responses.filter((item) => item.scope === scope).length;
      empty.textContent = items.length ? "" : total ? t("canned.noMatch", { query }) : t(scope === "service" ? "canned.emptyService" : "canned.emptyPersonal");
    }

    return { el, paintRows };
  }

  function matching(scope) {
    const needle = fold(query);
    return responses
      .filter((item) => item.scope === scope)
      .filter((item) => !needle || [item.shortcut, item.title, item.text].some((text) => fold(text).includes(needle)))
      .sort((a, b) => String(a.shortcut).localeCompare(String(b.shortcut)));
  }

  function paint() {
    sets.service.paintRows(matching("service"));
    // Personal responses are the caller's own (the server lists no one else's).
    sets.personal.paintRows(matching("personal").filter((item) => !item.owner_id || !me.operator_id || item.owner_id === me.operator_id));
  }

  async function reload() {
    message.textContent = t("common.loading");
    try {
      responses = (await api.cannedResponses()).canned_responses || [];
      message.textContent = "";
    } catch (error) {
      responses = [];
      message.textContent = error.missingRoute ? t("common.unavailable", { message: `HTTP ${error.status}` }) : t("common.error", { message: error.message });
    }
    paint();
  }

  async function edit(scope, item) {
    const saved = await cannedDialog({ scope, item });
    if (saved) {
      toast(t("canned.saved"), { kind: "success" });
      reload();
    }
  }

  async function remove(item) {
    const ok = await confirmDialog({
      title: t("canned.delete"),
      message: t("canned.deleteConfirm", { title: item.title, shortcut: item.shortcut }),
      confirmLabel: t("common.delete"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.deleteCanned(item.canned_id);
      toast(t("canned.deleted"), { kind: "success" });
    } catch (error) {
      toastError(error);
    }
    reload();
  }

  reload();
  return {};
}

/** Create (`item` null) or edit a canned response; resolves with the saved one, or
 * null when cancelled. Each field says what is wrong with it, the server's answers
 * too (400 names the field, 409 `duplicate_shortcut` is the shortcut's). */
function cannedDialog({ scope, item }) {
  return openDialog((finish) => {
    const labels = { shortcut: t("canned.shortcut"), title: t("canned.titleField"), text: t("canned.text") };
    const help = { shortcut: t("canned.shortcutHelp"), text: t("canned.textHelp") };
    const controls = {
      shortcut: h("input", { value: item?.shortcut ?? "", autocomplete: "off", spellcheck: "false", autocapitalize: "off", maxlength: 100 }),
      title: h("input", { value: item?.title ?? "", autocomplete: "off", maxlength: 200 }),
      text: h("textarea", { value: item?.text ?? "", rows: 6, maxlength: MAX_TEXT }),
    };
    const errors = {};
    const rows = Object.entries(controls).map(([name, control]) => {
      const id = `canned-${name}`;
      control.id = id;
      control.name = name;
      control.required = true;
      errors[name] = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
      const helpEl = help[name] ? h("p", { class: "help", id: `${id}-help` }, help[name]) : null;
      control.setAttribute("aria-describedby", [helpEl && `${id}-help`, `${id}-error`].filter(Boolean).join(" "));
      return h("div", { class: "field" }, h("label", { for: id }, labels[name]), control, helpEl, errors[name]);
    });
    const formError = h("p", { class: "form-error", role: "alert", hidden: true });
    const submitButton = h("button", { class: "btn btn-primary", type: "submit" }, item ? t("common.save") : t("common.create"));

    function clearErrors() {
      formError.hidden = true;
      for (const [name, el] of Object.entries(errors)) {
        el.hidden = true;
        el.textContent = "";
        controls[name].removeAttribute("aria-invalid");
      }
    }

    function fieldError(name, text) {
      errors[name].textContent = text;
      errors[name].hidden = false;
      errors[name].setAttribute("role", "alert");
      controls[name].setAttribute("aria-invalid", "true");
      controls[name].focus();
    }

    function values() {
      return {
        shortcut: controls.shortcut.value.trim().replace(/^[/／]+/u, ""),
        title: controls.title.value.trim(),
        text: controls.text.value,
      };
    }

    /** What is wrong before asking the server: [field, words] or null. */
    function invalid(fields) {
      for (const name of ["shortcut", "title", "text"]) {
        if (!fields[name].trim()) return [name, t("canned.required", { field: labels[name] })];
      }
      if (/\s/u.test(fields.shortcut)) return ["shortcut", t("canned.noSpaces")];
      return null;
    }

    const form = h(
      "form",
      {
        class: "dialog-form",
        novalidate: true,
        onsubmit: async (event) => {
          event.preventDefault();
          clearErrors();
          const fields = values();
          const wrong = invalid(fields);
          if (wrong) {
            fieldError(...wrong);
            return;
          }
          submitButton.disabled = true;
          try {
            const saved = item
              ? await api.updateCanned(item.canned_id, fields)
              : await api.createCanned({ scope, ...fields });
            finish(saved || true);
          } catch (failure) {
            submitButton.disabled = false;
            const field = failure.code === "duplicate_shortcut" ? "shortcut" : FIELD.exec(failure.detail || "")?.[1];
            if (field && controls[field]) {
              fieldError(field, failure.code === "bad_request" ? t("error.bad_field", { field: labels[field] }) : failure.message);
            } else {
              formError.textContent = failure.message;
              formError.hidden = false;
            }
          }
        },
      },
      rows,
      formError,
      h("div", { class: "dialog-actions" },
        h("button", { class: "btn", type: "button", onclick: () => finish(null) }, t("common.cancel")),
        submitButton),
    );
    const title = item
      ? t("canned.editTitle", { shortcut: item.shortcut })
      : t(scope === "service" ? "canned.newService" : "canned.newPersonal");
    setTimeout(() => controls.shortcut.focus(), 0);
    return [h("h2", { class: "dialog-title" }, title), form];
  });
}
