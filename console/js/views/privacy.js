// Admin: erase one customer's personal data in this service (R-PRIV-2), on their
// request: by customer ID or by email address (exactly one), after a confirmation
// that says it cannot be undone; then what was erased, in words. An erasure too long
// for one request is followed (every 2 s) until it is done. How long data is kept
// otherwise is Settings' "Data retention" (R-PRIV-1).

import { h, icon } from "../dom.js";
import { fieldOf } from "../errors.js";
import { formatTime, t } from "../i18n.js";
import { composing } from "../ui/block.js";
import { confirmErase, countsList, erase, nothingErased } from "../ui/erase.js";
import { serverWords } from "../ui/webhookform.js";

/** The two ways to name the customer: the API's body fields. */
const WAYS = ["email", "customer_id"];
const MAX_LENGTH = { email: 254, customer_id: 100 };

export function render(container) {
  let alive = true;
  let busy = false;

  const idOf = (way) => `privacy-${way.replace("_", "-")}`;
  const radios = Object.fromEntries(WAYS.map((way) => [way, h("input", {
    type: "radio", name: "by", value: way, id: `${idOf(way)}-way`, checked: way === "email", "data-testid": `privacy-by-${way}`,
    onchange: () => paintWay({ focus: true }),
  })]));
  const inputs = {
    email: h("input", {
      id: idOf("email"), name: "email", type: "email", inputmode: "email", autocomplete: "off", spellcheck: "false",
      autocapitalize: "off", maxlength: MAX_LENGTH.email, "data-testid": "privacy-email",
      "aria-describedby": `${idOf("email")}-help ${idOf("email")}-error`,
    }),
    customer_id: h("input", {
      id: idOf("customer_id"), name: "customer_id", type: "text", autocomplete: "off", spellcheck: "false",
      autocapitalize: "off", maxlength: MAX_LENGTH.customer_id, "data-testid": "privacy-customer-id",
      "aria-describedby": `${idOf("customer_id")}-help ${idOf("customer_id")}-error`,
    }),
  };
  const errors = Object.fromEntries(WAYS.map((way) => [way, h("p", {
    class: "field-error", id: `${idOf(way)}-error`, "data-testid": `${idOf(way)}-error`, hidden: true,
  })]));
  const labels = { email: t("privacy.email"), customer_id: t("privacy.customerId") };
  const ways = { email: t("privacy.byEmail"), customer_id: t("privacy.byId") };
  const helps = { email: t("privacy.emailHelp"), customer_id: t("privacy.customerIdHelp") };
  const fields = Object.fromEntries(WAYS.map((way) => [way, h("div", { class: "field privacy-field", "data-way": way },
    h("label", { for: idOf(way) }, labels[way]),
    inputs[way],
    h("p", { class: "help", id: `${idOf(way)}-help` }, helps[way]),
    errors[way])]));
  const formError = h("p", { class: "form-error", "data-testid": "privacy-form-error", hidden: true });
  const submitButton = h("button", { class: "btn btn-danger", type: "submit", "data-action": "erase" },
    icon("trash", 16), h("span", {}, t("privacy.submit")));

  const form = h("form", {
    class: "privacy-form", novalidate: true, "data-testid": "privacy-form", "aria-labelledby": "privacy-form-title",
    onkeydown: (event) => {
      if (event.key === "Enter" && composing(event)) event.preventDefault();
    },
    onsubmit: (event) => {
      event.preventDefault();
      submit();
    },
  },
  h("fieldset", { class: "privacy-ways" },
    h("legend", {}, t("privacy.by")),
    h("div", { class: "checks" }, WAYS.map((way) => h("label", { class: "check", for: radios[way].id }, radios[way], ways[way])))),
  WAYS.map((way) => fields[way]),
  h("div", { class: "privacy-what" },
    h("h3", {}, t("privacy.whatTitle")),
    h("p", { class: "help" }, t("erase.what")),
    h("p", { class: "help" }, t("privacy.whatKept"))),
  h("p", { class: "erase-warning", "data-testid": "privacy-warning" }, icon("alert", 16), h("span", {}, t("erase.irreversible"))),
  formError,
  h("div", { class: "form-actions privacy-actions" }, submitButton));

  const resultTitle = h("h2", { id: "privacy-result-title", tabindex: -1 });
  const resultStatus = h("p", { class: "privacy-status", role: "status", "data-testid": "privacy-status" });
  const resultBody = h("div", { class: "privacy-result-body" });
  const result = h("section", {
    class: "card privacy-result", "aria-labelledby": resultTitle.id, "data-testid": "privacy-result", hidden: true,
  }, resultTitle, resultStatus, resultBody);

  container.append(
    h("div", { class: "page privacy-page" },
      h("header", { class: "page-head" },
        h("div", {},
          h("h1", {}, t("privacy.title")),
          h("p", { class: "muted", "data-testid": "privacy-intro" }, t("privacy.intro")),
          h("p", { class: "muted small" }, t("privacy.retention"), " ",
            h("a", { class: "text-link", href: "#/admin/settings", "data-testid": "privacy-retention-link" }, t("privacy.retentionLink"))))),
      h("div", { class: "privacy-grid" },
        h("section", { class: "card privacy-card" },
          h("h2", { id: "privacy-form-title" }, t("privacy.formTitle")),
          form),
        result)),
  );

  const chosen = () => WAYS.find((way) => radios[way].checked) || "email";

  /** Only the chosen way's field is shown: exactly one is sent. */
  function paintWay({ focus = false } = {}) {
    const way = chosen();
    for (const other of WAYS) fields[other].hidden = other !== way;
    clearErrors();
    if (focus) inputs[way].focus();
  }

  // --- errors at their field -------------------------------------------------------------

  function showError(way, sentence, because = "") {
    const box = errors[way];
    box.replaceChildren();
    box.hidden = !sentence;
    if (!sentence) {
      box.removeAttribute("role");
      inputs[way].removeAttribute("aria-invalid");
      return;
    }
    box.append(h("span", {}, sentence));
    if (because) {
      box.append(" ", h("span", { class: "server-words", "data-testid": "privacy-server-words" },
        t("privacy.serverSays", { message: because })));
    }
    box.setAttribute("role", "alert");
    inputs[way].setAttribute("aria-invalid", "true");
    inputs[way].focus();
  }

  function clearErrors() {
    for (const way of WAYS) showError(way, null);
    formError.hidden = true;
    formError.removeAttribute("role");
  }

  function showFormError(text) {
    formError.textContent = text;
    formError.hidden = false;
    formError.setAttribute("role", "alert");
  }

  /** The API's refusal (`{code, message}`), at the field it is about. */
  function placeFailure(way, value, failure) {
    const field = failure.status === 400 ? (fieldOf(failure.detail) || "").split(/[.[]/)[0] : "";
    const because = serverWords(failure);
    if (field === "email" && way === "email") {
      showError("email", t("privacy.badEmail", { email: value }), because);
    } else if (field === way) {
      showError(way, failure.message, because);
    } else if (failure.status === 404 && failure.code === "not_found" && way === "customer_id") {
      showError("customer_id", t("privacy.noCustomer", { id: value }), because);
    } else {
      showFormError(failure.missingRoute
        ? t("common.unavailable", { message: `HTTP ${failure.status}` })
        : [failure.message, failure.status === 400 && because ? t("privacy.serverSays", { message: because }) : ""].filter(Boolean).join(" "));
    }
  }

  // --- the erasure -------------------------------------------------------------------------

  function showRunning(erasure, who) {
    result.hidden = false;
    result.dataset.status = "running";
    resultTitle.textContent = t("privacy.runningTitle");
    resultStatus.textContent = t("privacy.running");
    resultBody.replaceChildren(
      h("p", { class: "privacy-who" }, who),
      h("progress", { class: "erase-progress", "aria-label": t("privacy.runningTitle"), "data-testid": "privacy-progress" }),
      erasure ? h("p", { class: "help" }, t("privacy.soFar")) : null,
      erasure ? countsList(erasure.erased) : null,
    );
  }

  function showDone(erasure, who) {
    result.hidden = false;
    result.dataset.status = "done";
    resultTitle.textContent = t("privacy.doneTitle");
    const nothing = nothingErased(erasure.erased);
    resultStatus.textContent = nothing ? t("privacy.nothing") : t("privacy.done");
    resultBody.replaceChildren(
      h("p", { class: "privacy-who" }, who),
      countsList(erasure.erased),
      h("p", { class: "help" }, t("privacy.finished", { time: formatTime(erasure.finished_at, { withSeconds: true }) })),
    );
    resultTitle.focus();
  }

  function showLost(failure, who) {
    result.hidden = false;
    result.dataset.status = "unknown";
    resultTitle.textContent = t("privacy.runningTitle");
    resultStatus.textContent = t("privacy.lostTrack", { message: failure.message });
    resultBody.replaceChildren(h("p", { class: "privacy-who" }, who));
  }

  async function submit() {
    if (busy) return;
    clearErrors();
    const way = chosen();
    // Full-width letters typed through an IME are read as the ASCII ones.
    const value = inputs[way].value.normalize("NFKC").trim();
    if (!value) {
      showError(way, t(way === "email" ? "privacy.emailRequired" : "privacy.customerIdRequired"));
      return;
    }
    const who = t(way === "email" ? "erase.whoEmail" : "erase.whoId", { email: value, id: value });
    if (!(await confirmErase(who))) {
      inputs[way].focus();
      return;
    }
    if (!alive) return;
    busy = true;
    submitButton.disabled = true;
    showRunning(null, who);
    try {
      const done = await erase({ [way]: value }, { onProgress: (erasure) => alive && showRunning(erasure, who), alive: () => alive });
      if (!done || !alive) return;
      inputs[way].value = "";
      showDone(done, who);
    } catch (failure) {
      if (!alive) return;
      if (failure.erasureId) {
        showLost(failure, who);
      } else {
        result.hidden = true;
        placeFailure(way, value, failure);
      }
    } finally {
      busy = false;
      submitButton.disabled = false;
    }
  }

  for (const way of WAYS) inputs[way].addEventListener("input", () => showError(way, null));
  paintWay();
  return { destroy: () => { alive = false; } };
}
