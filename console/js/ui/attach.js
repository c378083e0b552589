// Attaching a file to a reply (R-ATT-1): the paperclip button (a file picker), a file
// dropped on the conversation, an image pasted into the reply box. The file is
// checked against the service's setting (when the console knows it), uploaded at
// once with a progress bar and Cancel, and waits as a chip above the reply box
// until the next Send takes it. Every refusal says what went wrong, there.

import { h, icon } from "../dom.js";
import { acceptOf, formatSize, IMAGE_TYPES, refusal, typeOf, uploadFile } from "../files.js";
import { formatNumber, t } from "../i18n.js";
import * as store from "../store.js";

// Pictures up to this size get a preview in the chip (read as a data: URL, which the
// console's CSP allows for images).
const PREVIEW_MAX_BYTES = 5 * 1024 * 1024;

/**
 * `chatId`: the chat; `dropZone`: where files may be dropped; `input`: the reply
 * box (images pasted into it are attached); `enabled()`: whether a file may be
 * attached now (a reply, not a note; the chat still takes replies).
 */
export function attacher({ chatId, dropZone, input, enabled }) {
  let current = null; // {file, type, state: uploading|ready|failed, attachment, upload, settled}
  let dragDepth = 0;
  let visible = true;

  const picker = h("input", {
    type: "file", class: "attach-input", hidden: true, tabindex: "-1", "aria-hidden": "true",
    "data-testid": "attach-input", accept: acceptOf(store.attachmentLimits()),
  });
  const button = h("button", {
    class: "btn btn-ghost btn-icon composer-attach", type: "button", "data-action": "attach",
    "aria-label": t("attach.button"), title: t("attach.button"),
  }, icon("paperclip", 20));
  const chip = h("div", { class: "attach-chip", "data-testid": "attachment-chip", hidden: true });
  const problem = h("p", { class: "attach-error", "data-testid": "attach-error", role: "alert", hidden: true });
  const overlay = h("div", { class: "drop-overlay", "data-testid": "drop-overlay", hidden: true, "aria-hidden": "true" },
    icon("paperclip", 28), h("span", {}, t("attach.drop")));
  const el = h("div", { class: "attach-area" }, problem, chip, picker);
  dropZone.append(overlay);

  /** Say what went wrong (`kind` "info" for what the operator did: a cancel). */
  function showProblem(text, { kind = "error" } = {}) {
    problem.classList.toggle("attach-info", kind === "info");
    problem.replaceChildren(h("span", {}, text),
      h("button", { class: "attach-error-close", type: "button", "aria-label": t("attach.dismiss"), onclick: clearProblem }, icon("close", 14)));
    problem.hidden = false;
  }

  function clearProblem() {
    problem.hidden = true;
    problem.replaceChildren();
  }

  /** Take `file` as the reply's attachment (replacing one not sent yet). */
  function attach(file) {
    if (!file || !enabled()) return;
    clearProblem();
    const why = refusal(file, store.attachmentLimits());
    if (why) {
      showProblem(why);
      return;
    }
    discard();
    const type = typeOf(file);
    const upload = uploadFile(chatId, file, { onProgress: (part) => progressTo(part) });
    const entry = { file, type, state: "uploading", attachment: null, upload };
    current = entry;
    entry.settled = upload.promise.then(
      (attachment) => {
        learnEnabled(true);
        if (current !== entry) return false;
        entry.state = "ready";
        entry.attachment = attachment;
        paint();
        return true;
      },
      (error) => {
        if (error.code === "attachments_disabled") learnEnabled(false);
        if (current !== entry) return false;
        current = null;
        paint();
        // Cancel is the operator's own doing: nothing to explain.
        if (error.code !== "cancelled") showProblem(error.message);
        return false;
      });
    paint();
  }

  const progress = h("progress", { class: "attach-progress", max: 100, value: 0, "data-testid": "attach-progress" });
  const stateText = h("span", { class: "attach-state", "aria-live": "polite" });

  function progressTo(part) {
    const percent = Math.round(Math.min(1, Math.max(0, part)) * 100);
    progress.value = percent;
    if (current?.state === "uploading") stateText.textContent = t("attach.uploading", { percent: formatNumber(percent) });
  }

  function preview(file, type) {
    if (!IMAGE_TYPES.has(type) || file.size > PREVIEW_MAX_BYTES) return icon("file", 22);
    const img = h("img", { class: "attach-preview", alt: "" });
    const reader = new FileReader();
    reader.onload = () => {
      if (typeof reader.result === "string" && reader.result.startsWith("data:image/")) img.src = reader.result;
    };
    reader.readAsDataURL(file);
    return img;
  }

  function paint() {
    if (!current) {
      chip.hidden = true;
      chip.replaceChildren();
      return;
    }
    const { file, type, state } = current;
    const name = current.attachment?.filename || file.name || t("attach.unnamed");
    chip.dataset.state = state;
    progress.hidden = state !== "uploading";
    progress.setAttribute("aria-label", t("attach.progressLabel", { name }));
    if (state === "uploading") progressTo(0);
    else stateText.textContent = t("attach.ready");
    const close = state === "uploading"
      ? h("button", { class: "btn btn-ghost btn-sm attach-cancel", type: "button", "data-action": "cancel-upload", onclick: cancel },
        icon("close", 14), h("span", {}, t("attach.cancel")))
      : h("button", { class: "btn btn-ghost btn-icon attach-remove", type: "button", "data-action": "remove-attachment",
        "aria-label": t("attach.remove", { name }), title: t("attach.remove", { name }), onclick: () => { discard(); input.focus(); } },
      icon("close", 16));
    chip.replaceChildren(
      h("span", { class: "attach-thumb" }, preview(file, type)),
      h("span", { class: "attach-body" },
        h("span", { class: "attach-name", title: name }, name),
        h("span", { class: "attach-meta" }, h("span", {}, formatSize(file.size)), stateText),
        progress),
      close);
    chip.hidden = false;
  }

  /** The server said whether files are on: the paperclip follows (a drop or a paste
   * still asks the server, so turning files on again shows it again). */
  function learnEnabled(on) {
    const limits = store.attachmentLimits();
    if (limits?.enabled === on || (on && !limits)) return;
    store.setAttachmentLimits({ ...limits, enabled: on });
    paintButton();
  }

  /** The paperclip: for replies, and not when the service has files switched off. */
  function paintButton() {
    button.hidden = !visible || store.attachmentLimits()?.enabled === false;
  }

  /** Stop the upload (if any) and forget the file. */
  function discard() {
    const entry = current;
    current = null;
    entry?.upload.abort();
    paint();
  }

  function cancel() {
    discard();
    clearProblem();
    showProblem(t("attach.cancelled"), { kind: "info" });
    input.focus();
  }

  // --- the three ways in --------------------------------------------------------------

  button.addEventListener("click", () => {
    if (!enabled()) return;
    picker.accept = acceptOf(store.attachmentLimits());
    picker.click();
  });
  picker.addEventListener("change", () => {
    const [file] = picker.files || [];
    attach(file);
    picker.value = ""; // the same file may be picked again
  });

  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  dropZone.addEventListener("dragenter", (event) => {
    if (!hasFiles(event) || !enabled()) return;
    event.preventDefault();
    dragDepth += 1;
    overlay.hidden = false;
  });
  dropZone.addEventListener("dragover", (event) => {
    if (!hasFiles(event) || !enabled()) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    overlay.hidden = false;
  });
  dropZone.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) overlay.hidden = true;
  });
  dropZone.addEventListener("drop", (event) => {
    dragDepth = 0;
    overlay.hidden = true;
    if (!hasFiles(event)) return;
    event.preventDefault(); // never let the browser open the file instead
    if (!enabled()) return;
    const files = [...(event.dataTransfer.files || [])];
    attach(files[0]);
    if (files.length > 1 && current) showProblem(t("attach.oneAtATime", { name: files[0].name }));
  });
  // A screenshot pasted into the reply box (a paste with text stays text).
  input.addEventListener("paste", (event) => {
    const data = event.clipboardData;
    const files = [...(data?.files || [])];
    if (!files.length || data.getData("text/plain") || !enabled()) return;
    event.preventDefault();
    attach(files[0]);
  });

  return {
    el,
    button,
    /** A file is still uploading. */
    uploading: () => current?.state === "uploading",
    /** Resolves true when the file being uploaded is ready, false when it failed or was cancelled. */
    settled: () => current?.settled || Promise.resolve(Boolean(current)),
    /** The uploaded file, for the reply being sent, and the chip is cleared; null when none. */
    take() {
      if (current?.state !== "ready") return null;
      const { attachment } = current;
      current = null;
      paint();
      return attachment;
    },
    hasFile: () => Boolean(current),
    showProblem,
    clearProblem,
    /** Show or hide the chip and the button (notes carry no files). */
    setVisible(value) {
      visible = value;
      el.hidden = !visible;
      paintButton();
    },
    setDisabled(disabled) {
      button.disabled = disabled;
    },
    destroy() {
      discard();
      overlay.remove();
    },
  };
}
