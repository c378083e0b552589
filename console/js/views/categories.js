// Admin: the processing-type tree (R-SET-6): add, rename, reorder, delete; 1 to 3 levels.

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { t } from "../i18n.js";
import * as store from "../store.js";
import { confirmDialog, formDialog } from "../ui/dialog.js";
import { toastError } from "../ui/toast.js";

export function render(container) {
  const treeEl = h("div", { class: "tree", "data-testid": "category-tree" }, h("p", { class: "muted" }, t("common.loading")));
  container.append(
    h("div", { class: "page page-narrow" },
      h("header", { class: "page-head" }, h("div", {}, h("h1", {}, t("categories.title")), h("p", { class: "muted" }, t("categories.help"))),
        h("button", { class: "btn btn-primary", type: "button", "data-action": "add-root", onclick: () => add(null) }, icon("plus"), h("span", {}, t("categories.add")))),
      h("section", { class: "card" }, treeEl)),
  );

  async function reload() {
    try {
      paint(await store.categories({ reload: true }));
    } catch (error) {
      toastError(error);
    }
  }

  function paint(tree) {
    if (!tree.length) {
      treeEl.replaceChildren(h("p", { class: "muted" }, t("categories.empty")));
      return;
    }
    treeEl.replaceChildren(branch(tree));
  }

  function branch(nodes) {
    return h("ul", { class: "tree-level" }, nodes.map((node, i) => h("li", { class: "tree-node", "data-category-id": node.category_id },
      h("div", { class: "tree-row" },
        h("span", { class: "tree-level-badge" }, `L${node.level}`),
        h("span", { class: "tree-name" }, node.name),
        h("span", { class: "tree-actions" },
          iconButton("up", t("categories.up"), i === 0, () => move(nodes, i, -1)),
          iconButton("down", t("categories.down"), i === nodes.length - 1, () => move(nodes, i, 1)),
          node.level < 3 ? iconButton("plus", t("categories.addChild"), false, () => add(node)) : null,
          iconButton("edit", t("categories.rename"), false, () => rename(node)),
          iconButton("trash", t("categories.delete"), false, () => remove(node)))),
      node.children?.length ? branch(node.children) : null)));
  }

  function iconButton(name, label, disabled, onclick) {
    return h("button", { class: "btn btn-ghost btn-icon", type: "button", title: label, "aria-label": label, disabled, onclick }, icon(name, 16));
  }

  async function add(parent) {
    const done = await formDialog({
      title: parent ? t("categories.newChildTitle", { name: parent.name }) : t("categories.newTitle"),
      submitLabel: t("common.create"),
      fields: [{ name: "name", label: t("categories.name"), required: true }],
      submit: (values) => api.createCategory(values.name.trim(), parent?.category_id),
    });
    if (done) reload();
  }

  async function rename(node) {
    const done = await formDialog({
      title: t("categories.renameTitle", { name: node.name }),
      fields: [{ name: "name", label: t("categories.name"), value: node.name, required: true }],
      submit: (values) => api.updateCategory(node.category_id, { name: values.name.trim() }),
    });
    if (done) reload();
  }

  async function move(siblings, index, step) {
    const other = siblings[index + step];
    if (!other) return;
    const node = siblings[index];
    try {
      // The server puts it at that index among its siblings and renumbers the rest.
      await api.updateCategory(node.category_id, { position: index + step });
    } catch (error) {
      toastError(error);
    }
    reload();
  }

  async function remove(node) {
    if (!(await confirmDialog({ title: t("categories.delete"), message: t("categories.deleteConfirm", { name: node.name }), confirmLabel: t("common.delete"), danger: true }))) return;
    try {
      await api.deleteCategory(node.category_id);
    } catch (error) {
      toastError(error);
    }
    reload();
  }

  reload();
  return {};
}
