// ESLint for the widget and the console (`make js-lint` runs it from the repository
// root with `--config tools/js/eslint.config.js`, so the patterns below are relative
// to the root). Rules that find bugs, not style: the code is formatted by hand.

import js from "@eslint/js";
import globals from "globals";

// Browser globals that are easy to use by mistake: a missing parameter or local
// named `event`, `name`, `status`… silently reads the window's property instead.
const CONFUSING_GLOBALS = [
  "event", "name", "status", "length", "parent", "top", "self", "origin", "opener",
  "closed", "close", "open", "stop", "find", "print", "focus", "blur", "frames", "external",
].map((name) => ({ name, message: `use window.${name} if the window's is meant` }));

// Chat data reaches the DOM as text only (docs/security.md): no markup sinks.
const MARKUP_SINKS = [
  ...["innerHTML", "outerHTML", "insertAdjacentHTML"].map((property) => ({ property })),
  ...["write", "writeln"].map((property) => ({ object: "document", property })),
].map((sink) => ({ ...sink, message: "build DOM with h() and textContent" }));

const BUG_RULES = {
  ...js.configs.recommended.rules,
  // A catch may ignore its error (the loader, written as ES5, names it all the same);
  // `const { hash, ...rest } = user` drops `hash` on purpose.
  "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none", ignoreRestSiblings: true }],
  eqeqeq: ["error", "always", { null: "ignore" }],
  "no-implicit-globals": "error",
  "no-restricted-globals": ["error", ...CONFUSING_GLOBALS],
  "no-restricted-properties": ["error", ...MARKUP_SINKS],
  "no-eval": "error",
  "no-implied-eval": "error",
  "no-new-func": "error",
  "no-script-url": "error",
  "no-throw-literal": "error",
  "prefer-promise-reject-errors": "error",
  "no-promise-executor-return": "error",
  "array-callback-return": "error",
  "no-self-compare": "error",
  "no-template-curly-in-string": "error",
  "no-unmodified-loop-condition": "error",
  "no-unreachable-loop": "error",
  "no-constructor-return": "error",
  "no-new-wrappers": "error",
  "no-caller": "error",
  "no-proto": "error",
  "no-extend-native": "error",
  "no-loop-func": "error",
  "default-case-last": "error",
  "no-var": "error",
  "block-scoped-var": "error",
};

export default [
  { ignores: ["**/node_modules/**"] },
  {
    // The chat UI (in its frame) and the console: ES modules in the browser.
    files: ["widget/**/*.js", "console/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: BUG_RULES,
  },
  {
    // Classic scripts: the loader on every host page (written as ES5: `var`,
    // one function scope), the demo shop's page script, and the console's
    // deployment settings, which set window.CONSOLE_CONFIG on purpose.
    files: ["widget/loader.js", "widget/demo.js", "console/config.js"],
    languageOptions: { sourceType: "script" },
    rules: { "no-var": "off" },
  },
];
