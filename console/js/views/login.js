// Sign in (R-CON-1). The API base URL can be changed here per browser, so the same
// static files work against the local stack and any AWS deployment.

import { api, customApiBase, defaultApiBase, setApiBase } from "../api.js";
import { h, icon } from "../dom.js";
import { LANGUAGES, lang, setLang, t } from "../i18n.js";
import * as session from "../session.js";

const SERVICE_KEY = "console.serviceId";

export function render(container, params, { onSignedIn }) {
  const config = window.CONSOLE_CONFIG || {};
  const service = h("input", {
    name: "service_id", required: true, autocomplete: "organization",
    value: localStorage.getItem(SERVICE_KEY) || config.serviceId || "",
  });
  const email = h("input", { name: "email", type: "email", required: true, autocomplete: "username" });
  const password = h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" });
  const apiBase = h("input", { name: "api_base", value: customApiBase(), placeholder: defaultApiBase(), autocomplete: "off" });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { class: "btn btn-primary btn-block", type: "submit" }, t("login.submit"));

  const form = h(
    "form",
    {
      class: "login-form",
      onsubmit: async (event) => {
        event.preventDefault();
        error.hidden = true;
        submit.disabled = true;
        submit.textContent = t("login.busy");
        setApiBase(apiBase.value);
        try {
          const result = await api.login(service.value.trim(), email.value.trim(), password.value);
          localStorage.setItem(SERVICE_KEY, service.value.trim());
          session.signedIn({ token: result.token, expires_at: result.expires_at, operator: result.operator });
          password.value = "";
          onSignedIn();
        } catch (failure) {
          error.textContent = t("login.failed", { message: failure.message });
          error.hidden = false;
          submit.disabled = false;
          submit.textContent = t("login.submit");
        }
      },
    },
    h("div", { class: "field" }, h("label", {}, t("login.service"), service)),
    h("div", { class: "field" }, h("label", {}, t("login.email"), email)),
    h("div", { class: "field" }, h("label", {}, t("login.password"), password)),
    error,
    submit,
    h("details", { class: "advanced", open: customApiBase() ? true : null },
      h("summary", {}, t("login.advanced")),
      h("div", { class: "field" }, h("label", {}, t("login.apiBase"), apiBase),
        h("p", { class: "help" }, t("login.apiBaseHelp", { default: defaultApiBase() })))),
  );

  container.replaceChildren(
    h("main", { class: "login-page" },
      h("div", { class: "login-card" },
        h("div", { class: "login-brand" }, h("span", { class: "brand-mark brand-mark-lg" }, icon("chat", 24)),
          h("div", {}, h("div", { class: "login-product" }, t("app.name")), h("div", { class: "login-sub" }, t("app.console")))),
        h("h1", { class: "login-title" }, t("login.title")),
        form,
        h("div", { class: "login-lang" },
          LANGUAGES.map(({ code, label }) =>
            h("button", { type: "button", class: ["link", code === lang() && "active"], lang: code,
              "aria-pressed": String(code === lang()), onclick: () => setLang(code) }, label))))),
  );
  (service.value ? email : service).focus();
  return {};
}
