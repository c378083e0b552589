// A file in a message (R-ATT-1), wherever a transcript shows one (the chat, Chat
// History, a ticket's chat tab): an image as a thumbnail (the image itself, scaled
// by CSS) that opens full size in a new tab; any other file as its name, size and a
// download link. Names are text, always. Links are presigned and expire (1 hour):
// an expired one, or an image that does not load, is asked for again once
// (GET /chats/{id}/attachments/{attachment_id}).

import { api } from "../api.js";
import { h, icon } from "../dom.js";
import { formatSize, IMAGE_TYPES } from "../files.js";
import { t } from "../i18n.js";

// A link this close to its end is treated as expired (clocks differ a little).
const EXPIRY_MARGIN_MS = 10 * 1000;

/** `value` when it is an http(s) URL, else null (never a javascript: or data: link). */
export function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function expired(attachment) {
  const ms = Date.parse(attachment.expires_at || "");
  return !Number.isNaN(ms) && ms - EXPIRY_MARGIN_MS <= Date.now();
}

/** The file of a message being sent: its name and size, no link yet. */
export function pendingAttachment(file) {
  return h("div", { class: "msg-attachment", "data-testid": "attachment-pending" },
    h("span", { class: "att-file att-file-pending" }, icon("file", 20),
      h("span", { class: "att-file-body" },
        h("span", { class: "att-file-name" }, file.filename || t("attach.unnamed")),
        h("span", { class: "att-file-size" }, formatSize(file.size)))));
}

/** The attachment of a stored message (`chatId`: its chat, for a fresh link). */
export function attachmentView(attachment, { chatId } = {}) {
  let current = { ...attachment };
  const name = current.filename || t("attach.unnamed");
  const image = IMAGE_TYPES.has(current.content_type) && Boolean(current.thumbnail_url);
  let asking = null;

  /** A fresh link from the API (one request at a time). */
  function refresh() {
    asking ||= api.attachmentLink(current.chat_id || chatId, current.attachment_id)
      .then((fresh) => {
        current = { ...current, ...fresh };
        link.href = safeUrl(current.url) || "#";
        return current;
      })
      .finally(() => { asking = null; });
    return asking;
  }

  const link = h("a", {
    class: image ? "att-image" : "att-file",
    href: safeUrl(current.url) || "#",
    target: "_blank",
    rel: "noopener noreferrer",
    "data-testid": image ? "attachment-image" : "attachment-file",
    "data-attachment-id": current.attachment_id || "",
  });
  const el = h("div", { class: "msg-attachment" }, link);

  // An expired link is renewed before it is followed.
  link.addEventListener("click", async (event) => {
    if (!expired(current) && safeUrl(current.url)) return;
    event.preventDefault();
    try {
      await refresh();
      const url = safeUrl(current.url);
      if (url) window.open(url, "_blank", "noopener,noreferrer");
    } catch {
      unavailable();
    }
  });

  function unavailable() {
    link.removeAttribute("href");
    link.removeAttribute("title");
    el.dataset.state = "unavailable";
    link.replaceChildren(icon("file", 20),
      h("span", { class: "att-file-body" },
        h("span", { class: "att-file-name" }, name),
        h("span", { class: "att-file-size" }, t("attach.unavailable"))));
    link.className = "att-file att-unavailable";
  }

  if (image) {
    link.title = t("attach.openFull");
    const img = h("img", { class: "att-thumb", alt: name, decoding: "async" });
    let retried = false;
    img.addEventListener("load", () => { retried = false; });
    img.addEventListener("error", () => {
      // The link may have expired (or the image not be there any more): once more.
      if (retried) {
        unavailable();
        return;
      }
      retried = true;
      refresh().then(() => {
        const src = safeUrl(current.thumbnail_url || current.url);
        if (src) img.src = src;
        else unavailable();
      }, unavailable);
    });
    link.append(img);
    const show = () => {
      const src = safeUrl(current.thumbnail_url);
      if (src) img.src = src;
      else unavailable();
    };
    if (expired(current)) {
      retried = true;
      refresh().then(show, unavailable);
    } else {
      show();
    }
  } else {
    link.append(
      icon("file", 20),
      h("span", { class: "att-file-body" },
        h("span", { class: "att-file-name" }, name),
        h("span", { class: "att-file-size" }, formatSize(current.size))),
      h("span", { class: "att-download" }, icon("download", 18), h("span", { class: "sr-only" }, t("attach.download"))));
    if (!safeUrl(current.url)) refresh().catch(unavailable);
  }
  return el;
}
