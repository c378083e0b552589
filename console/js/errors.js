// What the console says when something fails, in the reader's language (R-I18N-2):
// the API's error codes in the console's own words (`error.<code>` in i18n/*.js),
// never the server's English message. A code the console does not know gets a
// general sentence that names it; an answer without a code (a gateway's own)
// keeps its text, which api.js has already cleared of anything token-shaped.

import { t } from "./i18n.js";

// InvalidInput's message starts with the field it is about: "greeting.ja: …".
const FIELD = /^([\w.[\]-]{1,60}): /;

/** The field a 400's message names (`business_hours.weekly.mon: …`), or null. */
export function fieldOf(detail) {
  return FIELD.exec(detail || "")?.[1] || null;
}

/** The words for an error `{code, status, detail, reason}` (`detail`: the server's
 * message; `reason`: why a file was refused, `bad_attachment`'s). */
export function errorText({ code, status, detail, reason }) {
  if (!code || code === "http_error") return detail || `HTTP ${status}`;
  if (code === "bad_attachment" && /^\w{1,30}$/.test(reason || "")) {
    const because = t(`error.bad_attachment.${reason}`);
    if (because !== `error.bad_attachment.${reason}`) return because;
  }
  if (code === "bad_request") {
    const field = FIELD.exec(detail || "")?.[1];
    return field ? t("error.bad_field", { field }) : t("error.bad_request");
  }
  const key = `error.${code}`;
  const text = t(key);
  return text === key ? t("error.unknown", { code }) : text;
}
