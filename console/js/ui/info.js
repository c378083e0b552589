// Customer info and inquiry info of one chat, with Save (R-CON-5, R-CON-6). Used by
// the chat screen and by the Chat History detail panel. It knows when it has edits
// that are not saved yet, so the screens can warn before those edits are lost.
// Admins can erase the customer's personal data from it (R-PRIV-2).

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import * as session from "../session.js";
import { categoryPicker } from "./categories.js";
import { confirmErase, countsSentence, erase } from "./erase.js";
import { toast, toastError } from "./toast.js";

function snapshot(chat) {
  const customer = chat.customer || {};
  return {
    name: customer.name || "",
    email: customer.email || "",
    notes: customer.notes || "",
    category_id: chat.inquiry?.category_id || null,
  };
}

export function channelLabel(channel) {
  if (!channel) return t("common.none");
  const key = `channel.${channel}`;
  const label = t(key);
  return label === key ? channel : label;
}

/** The customer's device in the reader's language (R-I18N-2), from the server's
 * parts: "Safari 17 · iOS 17 · スマートフォン"; the server's English line when it
 * has no parts (a device recorded before them, or one it could not read). */
export function deviceLabel(customer) {
  const info = customer?.device_info;
  if (!info) return customer?.device || "";
  const kindKey = `device.${info.kind}`;
  const kind = t(kindKey);
  return [info.browser || t("device.unknownBrowser"), info.os || t("device.unknownOs"),
    kind === kindKey ? info.kind : kind].filter(Boolean).join(" · ");
}

/** `extra`: an element shown after the customer's section (the chat screen's visitor
 * context). `onErased(erasure)`: given by a screen that reloads the chat after an
 * admin erased its customer's data here (without it, or for operators, there is no
 * Erase action). */
export function infoPanel(chat, tree, { editable = true, onSaved = () => {}, onDirty = () => {}, extra = null, onErased = null } = {}) {
  let saved = snapshot(chat);
  let wasDirty = false;
  const changed = () => {
    const dirty = isDirty();
    status.hidden = !dirty;
    if (dirty !== wasDirty) {
      wasDirty = dirty;
      onDirty(dirty);
    }
  };
  const input = (name, type = "text") =>
    h("input", { name, type, value: saved[name], disabled: !editable, oninput: changed, autocomplete: "off" });
  const name = input("name");
  const email = input("email", "email");
  const notes = h("textarea", { name: "notes", rows: 3, value: saved.notes, disabled: !editable, oninput: changed });
  const picker = categoryPicker(tree, saved.category_id, { onChange: changed, disabled: !editable });
  const customer = chat.customer || {};
  const readOnly = (label, value) =>
    h("div", { class: "field" }, h("span", { class: "label" }, label), h("div", { class: "readonly" }, value || t("common.none")));
  const status = h("span", { class: "unsaved", hidden: true }, t("info.unsaved"));
  const saveButton = h("button", { class: "btn btn-primary", type: "submit", disabled: !editable, "data-action": "save" }, t("info.save"));

  const values = () => ({
    name: name.value.trim(),
    email: email.value.trim(),
    notes: notes.value,
    category_id: picker.value(),
  });

  function isDirty() {
    const now = values();
    return Object.keys(now).some((key) => (now[key] || "") !== (saved[key] || ""));
  }

  async function save() {
    const now = values();
    saveButton.disabled = true;
    try {
      const updated = await api.saveInfo(chat.chat_id, {
        customer: { name: now.name, email: now.email, notes: now.notes },
        inquiry: { category_id: now.category_id },
      });
      chat = updated || chat;
      saved = updated ? snapshot(updated) : now;
      changed();
      toast(t("info.saved"), { kind: "success" });
      onSaved(chat);
    } catch (error) {
      toastError(error);
    } finally {
      saveButton.disabled = !editable;
    }
  }

  // Erase this customer's personal data (admins; R-PRIV-2): the same confirmation and
  // request as the Privacy screen, by the chat's customer id.
  const eraseStatus = h("p", { class: "help erase-status", role: "status", "data-testid": "erase-status", hidden: true });
  const eraseButton = onErased && session.isAdmin() && customer.customer_id
    ? h("button", { class: "btn btn-sm btn-danger-outline", type: "button", "data-action": "erase-customer", onclick: eraseCustomer },
      icon("trash", 15), h("span", {}, t("erase.fromChat")))
    : null;

  async function eraseCustomer() {
    const who = customer.name
      ? t("erase.whoNamed", { name: customer.name, id: customer.customer_id })
      : t("erase.whoId", { id: customer.customer_id });
    if (!(await confirmErase(who))) {
      eraseButton.focus();
      return;
    }
    eraseButton.disabled = true;
    eraseStatus.hidden = false;
    eraseStatus.textContent = t("erase.running");
    try {
      const done = await erase({ customer_id: customer.customer_id }, {
        onProgress: (erasure) => { eraseStatus.textContent = countsSentence(erasure.erased, "erase.soFar"); },
        alive: () => el.isConnected,
      });
      if (!done) return;
      toast(countsSentence(done.erased), { kind: "success", timeout: 8000 });
      onErased(done);
    } catch (error) {
      eraseStatus.hidden = true;
      toastError(error);
    } finally {
      if (eraseButton.isConnected) eraseButton.disabled = false;
    }
  }

  const ratingText = (rating) =>
    rating ? `${"★".repeat(rating.score)}${"☆".repeat(5 - rating.score)} ${rating.comment || ""}`.trim() : t("info.noRating");
  const ratingEl = h("div", { class: "readonly", "data-field": "rating" }, ratingText(chat.rating));
  const el = h(
    "form",
    {
      class: "info-panel",
      "aria-label": t("info.customer"),
      onsubmit: (event) => {
        event.preventDefault();
        save();
      },
    },
    h("section", { class: "info-section" },
      h("h3", {}, t("info.customer"),
        customer.verified === undefined ? null
          : h("span", { class: ["badge", customer.verified ? "badge-ok" : "badge-muted"] },
            customer.verified ? t("chat.verified") : t("chat.unverified"))),
      h("div", { class: "field" }, h("label", {}, t("info.name"), name)),
      h("div", { class: "field" }, h("label", {}, t("info.email"), email)),
      h("div", { class: "field" }, h("label", {}, t("info.notes"), notes)),
      h("div", { class: "field-row" }, readOnly(t("info.ip"), customer.ip), readOnly(t("info.device"), deviceLabel(customer))),
      eraseButton ? h("div", { class: "erase-action" }, eraseButton, eraseStatus) : null),
    extra,
    h("section", { class: "info-section" },
      h("h3", {}, t("info.inquiry")),
      readOnly(t("info.channel"), channelLabel(chat.inquiry?.channel)),
      h("div", { class: "field" }, h("span", { class: "label" }, t("info.category")), picker.el),
      chat.operator_name ? readOnly(t("info.operator"), chat.operator_name) : null,
      h("div", { class: "field" }, h("span", { class: "label" }, t("info.rating")), ratingEl)),
    h("div", { class: "info-actions" }, status, saveButton),
  );
  el.querySelector("[data-level]")?.setAttribute("name", "category");

  return {
    el,
    isDirty,
    save,
    chat: () => chat,
    showRating(rating) {
      ratingEl.textContent = ratingText(rating);
    },
  };
}
