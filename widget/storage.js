// What the widget remembers in its own origin's storage (never the host
// page's): the visitor token, the chosen language and the unsent messages in
// localStorage; the offline message being written in sessionStorage (`area`),
// which is gone with the tab. Storage may be refused (private modes, blocked
// cookies): then it is memory.

export function storage(widgetKey, area = 'localStorage') {
  const memory = new Map();
  const prefix = `helpdesk-chat:${widgetKey}:`;
  let local = null;
  try {
    local = window[area];
    local.setItem(prefix + 'probe', '1');
    local.removeItem(prefix + 'probe');
  } catch {
    local = null;
  }
  return {
    get(name) {
      try {
        const raw = local ? local.getItem(prefix + name) : memory.get(name);
        return raw == null ? null : JSON.parse(raw);
      } catch {
        return null;
      }
    },
    set(name, value) {
      const raw = JSON.stringify(value);
      try {
        if (local) local.setItem(prefix + name, raw);
        else memory.set(name, raw);
      } catch {
        memory.set(name, raw);
      }
    },
    remove(name) {
      memory.delete(name);
      try {
        local?.removeItem(prefix + name);
      } catch {
        /* nothing to forget */
      }
    },
  };
}
