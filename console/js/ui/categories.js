// The processing-type tree (1 to 3 levels): a cascading picker and path helpers.

import { h } from "../dom.js";
import { t } from "../i18n.js";

/** category_id -> {category, path: [names], ids: [ids]} for the whole tree. */
export function indexTree(tree) {
  const index = new Map();
  const walk = (nodes, path, ids) => {
    for (const node of nodes || []) {
      const entry = { category: node, path: [...path, node.name], ids: [...ids, node.category_id] };
      index.set(node.category_id, entry);
      walk(node.children, entry.path, entry.ids);
    }
  };
  walk(tree, [], []);
  return index;
}

export function pathLabel(index, categoryId, fallbackPath) {
  if (categoryId && index.has(categoryId)) return index.get(categoryId).path.join(" › ");
  if (Array.isArray(fallbackPath) && fallbackPath.length) {
    return fallbackPath.map((part) => (typeof part === "string" ? part : part.name)).join(" › ");
  }
  return t("common.none");
}

/** Flat options with indentation, for filters: [[id, "Orders › Returns"], ...]. */
export function flatOptions(tree) {
  return [...indexTree(tree).entries()].map(([id, entry]) => [id, entry.path.join(" › ")]);
}

/**
 * Up to three selects: choosing a level shows the next one. `value()` is the deepest
 * chosen category id (or null). `onChange` fires on every change.
 */
export function categoryPicker(tree, selectedId, { onChange = () => {}, disabled = false, name = "category" } = {}) {
  const index = indexTree(tree);
  const wrap = h("div", { class: "category-picker", "data-name": name });
  let chosen = selectedId && index.has(selectedId) ? [...index.get(selectedId).ids] : [];

  // What a level's select does when changed: keep the levels above, take its choice.
  const choose = (level, id) => {
    chosen = [...chosen.slice(0, level), ...(id ? [id] : [])];
    render();
    onChange(value());
  };
  const render = () => {
    wrap.replaceChildren();
    let nodes = tree;
    for (let level = 0; level < 3 && nodes && nodes.length; level += 1) {
      const current = chosen[level] || "";
      const select = h(
        "select",
        {
          "aria-label": `${t("info.category")} (${t("info.categoryLevel", { level: level + 1 })})`,
          "data-level": level + 1,
          disabled,
          value: current,
          onchange: (event) => choose(level, event.target.value),
        },
        h("option", { value: "" }, level === 0 ? t("info.categoryNone") : "—"),
        nodes.map((node) => h("option", { value: node.category_id }, node.name)),
      );
      wrap.append(select);
      if (!current) break;
      nodes = index.get(current)?.category.children;
    }
  };
  const value = () => chosen[chosen.length - 1] || null;
  render();
  return {
    el: wrap,
    value,
    set(id) {
      chosen = id && index.has(id) ? [...index.get(id).ids] : [];
      render();
    },
  };
}
