// Who is signed in in this tab. The token lives in sessionStorage: it is gone when
// the tab closes and is never written to disk-backed localStorage. A new tab of the
// same origin asks the open tabs for it over a BroadcastChannel, so operators do
// not sign in again per tab; signing out anywhere signs out every tab.

const KEY = "console.session";
const channel = "BroadcastChannel" in window ? new BroadcastChannel("console-session") : null;
const listeners = new Set();

let session = readStored();

function readStored() {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

function store(value) {
  session = value;
  if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(value);
}

export function current() {
  if (session && session.expires_at && Date.parse(session.expires_at) <= Date.now()) store(null);
  return session;
}

export function token() {
  return current()?.token || null;
}

export function operator() {
  return current()?.operator || null;
}

export function isAdmin() {
  return operator()?.role === "admin";
}

export function signedIn(value) {
  store(value);
}

/** Forget the session here and in every other tab. */
export function signedOut() {
  store(null);
  channel?.postMessage({ type: "signed-out" });
}

export function updateOperator(fields) {
  if (session) store({ ...session, operator: { ...session.operator, ...fields } });
}

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Ask the other open tabs for their session; resolves null after a short wait. */
export function borrowFromOtherTab(waitMs = 250) {
  if (!channel || current()) return Promise.resolve(current());
  return new Promise((resolve) => {
    const done = (value) => {
      channel.removeEventListener("message", onReply);
      resolve(value);
    };
    const onReply = (event) => {
      if (event.data?.type === "session" && event.data.session?.token) {
        store(event.data.session);
        done(event.data.session);
      }
    };
    channel.addEventListener("message", onReply);
    channel.postMessage({ type: "who-is-signed-in" });
    setTimeout(() => done(current()), waitMs);
  });
}

channel?.addEventListener("message", (event) => {
  const type = event.data?.type;
  if (type === "who-is-signed-in" && current()) channel.postMessage({ type: "session", session: current() });
  else if (type === "signed-out" && session) store(null);
});
