// Modal dialogs on the native <dialog> element: a confirmation and a small form.

import { h } from "../dom.js";
import { t } from "../i18n.js";

/** A modal dialog whose content `build(finish)` makes; resolves with what `finish`
 * is given (null when cancelled with Esc). */
export function openDialog(build) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog" });
    const finish = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    dialog.append(...build(finish).filter(Boolean)); // an optional part left out is null, not "null"
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Resolves true when confirmed. */
export function confirmDialog({ title, message, detail, confirmLabel, danger = false }) {
  return openDialog((finish) => [
    h("h2", { class: "dialog-title" }, title),
    message ? h("p", { class: "dialog-text" }, message) : null,
    detail ? h("p", { class: ["dialog-text", danger && "text-danger"] }, detail) : null,
    h(
      "div",
      { class: "dialog-actions" },
      h("button", { class: "btn", type: "button", onclick: () => finish(false) }, t("common.cancel")),
      h(
        "button",
        { class: ["btn", danger ? "btn-danger" : "btn-primary"], type: "button", "data-confirm": "", onclick: () => finish(true) },
        confirmLabel || t("common.ok"),
      ),
    ),
  ]).then(Boolean);
}

/**
 * A form in a dialog. `fields`: [{name, label, type, value, options, required, help}].
 * `submit(values)` may throw an error whose message is shown; resolves with its result,
 * or null when cancelled.
 */
export function formDialog({ title, fields, submitLabel, submit }) {
  return openDialog((finish) => {
    const controls = {};
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const rows = fields.map((spec) => {
      let control;
      if (spec.type === "select") {
        control = h("select", { name: spec.name, value: spec.value ?? "" },
          spec.options.map(([value, label]) => h("option", { value }, label)));
      } else if (spec.type === "textarea") {
        control = h("textarea", { name: spec.name, rows: spec.rows || 4, value: spec.value ?? "" });
      } else {
        control = h("input", {
          name: spec.name, type: spec.type || "text", value: spec.value ?? "",
          required: spec.required, autocomplete: spec.autocomplete || "off", min: spec.min, max: spec.max,
        });
      }
      controls[spec.name] = control;
      const id = `dlg-${spec.name}`;
      control.id = id;
      return h("div", { class: "field" }, h("label", { for: id }, spec.label), control,
        spec.help ? h("p", { class: "help" }, spec.help) : null);
    });
    const submitButton = h("button", { class: "btn btn-primary", type: "submit" }, submitLabel || t("common.save"));
    const form = h(
      "form",
      {
        class: "dialog-form",
        onsubmit: async (event) => {
          event.preventDefault();
          const values = Object.fromEntries(Object.entries(controls).map(([name, el]) => [name, el.value]));
          submitButton.disabled = true;
          error.hidden = true;
          try {
            finish((await submit(values)) ?? true);
          } catch (failure) {
            error.textContent = failure.message;
            error.hidden = false;
            submitButton.disabled = false;
          }
        },
      },
      rows,
      error,
      h("div", { class: "dialog-actions" },
        h("button", { class: "btn", type: "button", onclick: () => finish(null) }, t("common.cancel")),
        submitButton),
    );
    setTimeout(() => form.querySelector("input, textarea, select")?.focus(), 0);
    return [h("h2", { class: "dialog-title" }, title), form];
  });
}
