// Admin: operators: list with status and load, add, edit, delete.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import * as session from "../session.js";
import { confirmDialog, formDialog } from "../ui/dialog.js";
import { toast, toastError } from "../ui/toast.js";

export function render(container) {
  const tbody = h("tbody", {});
  container.append(
    h("div", { class: "page" },
      h("header", { class: "page-head" }, h("h1", {}, t("operators.title")),
        h("button", { class: "btn btn-primary", type: "button", "data-action": "add-operator", onclick: add }, icon("plus"), h("span", {}, t("operators.add")))),
      h("div", { class: "card table-card" },
        h("table", { class: "table", "data-testid": "operators-table" },
          h("thead", {}, h("tr", {}, [t("operators.name"), t("operators.email"), t("operators.role"), t("operators.status"),
            t("operators.load")].map((label) => h("th", { scope: "col" }, label)),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("operators.actions"))))),
          tbody))),
  );

  const roleOptions = () => [["operator", t("role.operator")], ["admin", t("role.admin")]];

  async function reload() {
    try {
      const { operators } = await api.operators();
      const me = session.operator()?.operator_id;
      tbody.replaceChildren(...operators.map((op) => h("tr", { "data-operator-id": op.operator_id },
        h("td", { class: "strong" }, op.name),
        h("td", {}, op.email),
        h("td", {}, h("span", { class: ["pill", op.role === "admin" ? "pill-info" : "pill-muted"] }, t(`role.${op.role}`))),
        h("td", {}, h("span", { class: "status-inline" }, h("span", { class: `status-dot status-${op.status}` }), t(`status.${op.status || "offline"}`))),
        h("td", { class: "nowrap" }, `${op.open_chats ?? 0} / ${op.max_chats ?? "—"}`),
        h("td", { class: "row-actions" },
          h("button", { class: "btn btn-sm", type: "button", onclick: () => edit(op) }, t("operators.edit")),
          op.operator_id === me ? null : h("button", { class: "btn btn-sm btn-danger-outline", type: "button", onclick: () => remove(op) }, t("operators.delete"))))));
    } catch (error) {
      toastError(error);
    }
  }

  async function add() {
    const done = await formDialog({
      title: t("operators.newTitle"),
      submitLabel: t("common.create"),
      fields: [
        { name: "name", label: t("operators.name"), required: true },
        { name: "email", label: t("operators.email"), type: "email", required: true },
        { name: "password", label: t("operators.password"), type: "password", required: true, autocomplete: "new-password" },
        { name: "role", label: t("operators.role"), type: "select", options: roleOptions(), value: "operator" },
        { name: "max_chats", label: t("operators.maxChats"), type: "number", min: 1, max: 50, value: "" },
      ],
      submit: (values) => api.createOperator({
        name: values.name.trim(), email: values.email.trim(), password: values.password, role: values.role,
        ...(values.max_chats ? { max_chats: Number(values.max_chats) } : {}),
      }),
    });
    if (done) {
      toast(t("operators.saved"), { kind: "success" });
      reload();
    }
  }

  async function edit(op) {
    const done = await formDialog({
      title: t("operators.editTitle", { name: op.name }),
      fields: [
        { name: "name", label: t("operators.name"), value: op.name, required: true },
        { name: "role", label: t("operators.role"), type: "select", options: roleOptions(), value: op.role },
        { name: "max_chats", label: t("operators.maxChats"), type: "number", min: 1, max: 50, value: op.max_chats ?? "" },
        { name: "password", label: t("operators.passwordKeep"), type: "password", autocomplete: "new-password" },
      ],
      submit: (values) => api.updateOperator(op.operator_id, {
        name: values.name.trim(), role: values.role,
        ...(values.max_chats ? { max_chats: Number(values.max_chats) } : {}),
        ...(values.password ? { password: values.password } : {}),
      }),
    });
    if (done) {
      toast(t("operators.saved"), { kind: "success" });
      reload();
    }
  }

  async function remove(op) {
    if (!(await confirmDialog({ title: t("operators.delete"), message: t("operators.deleteConfirm", { name: op.name }), confirmLabel: t("common.delete"), danger: true }))) return;
    try {
      await api.deleteOperator(op.operator_id);
      toast(t("operators.deleted"), { kind: "success" });
    } catch (error) {
      toastError(error);
    }
    reload();
  }

  reload();
  return {};
}
