// Short notices at the bottom of the screen.

import { h } from "../dom.js";

let tray = null;

export function toast(message, { kind = "info", action, timeout = 4000 } = {}) {
  if (!tray || !tray.isConnected) {
    tray = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(tray);
  }
  const item = h(
    "div",
    { class: ["toast", `toast-${kind}`] },
    h("span", {}, message),
    action ? h("button", { class: "toast-action", type: "button", onclick: () => { action.run(); item.remove(); } }, action.label) : null,
  );
  tray.append(item);
  while (tray.children.length > 4) tray.firstElementChild.remove();
  setTimeout(() => item.remove(), timeout);
  return item;
}

export function toastError(error) {
  // A 401 ends the session: the login screen says so once, not every call that failed.
  if (error?.status === 401) return null;
  return toast(error.message || String(error), { kind: "error", timeout: 8000 });
}
