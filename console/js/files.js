// Files in chats (R-ATT-1), the console's side of the upload: which files may go
// (the service's `attachments` setting, when the console knows it: the server
// checks every file again), the request for a presigned POST, the upload straight
// to the file store with XMLHttpRequest (progress and cancel; the API never carries
// the bytes), and sizes as people read them.

import { api } from "./api.js";
import { formatNumber, t } from "./i18n.js";

/** Every type a service may allow, in the order the settings list them. */
export const FILE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"];
/** The types shown as pictures (thumbnails); the others are download links. */
export const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
/** Short names of the types, the same in every language. */
export const TYPE_NAMES = {
  "image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP",
  "application/pdf": "PDF", "text/plain": "TXT",
};
export const TYPE_EXTENSIONS = {
  "image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/gif": [".gif"], "image/webp": [".webp"],
  "application/pdf": [".pdf"], "text/plain": [".txt"],
};
const BY_EXTENSION = Object.fromEntries(
  Object.entries(TYPE_EXTENSIONS).flatMap(([type, extensions]) => extensions.map((ext) => [ext.slice(1), type])),
);
export const MB = 1024 * 1024;

/** The type a file is sent as: what the browser says, or (when it says nothing
 * useful) what its extension says. The server reads the bytes anyway. */
export function typeOf(file) {
  const declared = String(file?.type || "").toLowerCase().split(";")[0].trim();
  if (FILE_TYPES.includes(declared)) return declared;
  if (declared && declared !== "application/octet-stream") return declared;
  const extension = /\.([a-z0-9]{1,5})$/i.exec(file?.name || "")?.[1]?.toLowerCase();
  return BY_EXTENSION[extension] || declared;
}

/** 1.2 MB, 340 KB, 12 B. */
export function formatSize(bytes) {
  const size = Number(bytes) || 0;
  if (size < 1024) return t("size.bytes", { n: formatNumber(size) });
  if (size < MB) return t("size.kb", { n: formatNumber(size / 1024, size < 10 * 1024 ? 1 : 0) });
  return t("size.mb", { n: formatNumber(size / MB, size < 10 * MB ? 1 : 0) });
}

/** The `accept` of the file picker: the allowed types and their extensions. */
export function acceptOf(limits) {
  const types = allowedTypes(limits);
  return [...types, ...types.flatMap((type) => TYPE_EXTENSIONS[type] || [])].join(",");
}

function allowedTypes(limits) {
  const types = Array.isArray(limits?.types) ? limits.types.filter((type) => FILE_TYPES.includes(type)) : [];
  return types.length ? types : FILE_TYPES;
}

/** Why this file cannot be sent, in the reader's language, or null when it may go
 * (as far as the console knows: `limits` is the service's setting, or null). */
export function refusal(file, limits) {
  const name = file?.name || t("attach.unnamed");
  if (!file || !file.size) return t("attach.empty", { name });
  const type = typeOf(file);
  const allowed = allowedTypes(limits);
  if (!allowed.includes(type)) {
    return t("attach.badType", { name, types: allowed.map((each) => TYPE_NAMES[each]).join(", ") });
  }
  const max = Number(limits?.max_bytes) || 0;
  if (max && file.size > max) return t("attach.tooBig", { name, size: formatSize(file.size), max: formatSize(max) });
  return null;
}

/** A failed upload: `code` is `cancelled`, `network`, `store` (the file store
 * refused it) or the API's code; `message` is what the console shows. */
export class UploadError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** What the file store's refusal (an S3 XML error) means for the operator. */
function storeRefusal(status, body) {
  const code = /<Code>([\w.-]{1,60})<\/Code>/.exec(body || "")?.[1] || "";
  const said = /<Message>([^<]{0,300})<\/Message>/.exec(body || "")?.[1] || "";
  if (code === "EntityTooLarge") return new UploadError("store", t("error.bad_attachment.size"), status);
  if (code === "EntityTooSmall") return new UploadError("store", t("error.bad_attachment.empty"), status);
  if (/expired/i.test(said)) return new UploadError("store", t("attach.linkExpired"), status);
  return new UploadError("store", t("attach.storeRefused", { status, code: code || "—" }), status);
}

/** POST the file to the presigned form: every field in order, then the file as
 * `file` (last), its part's Content-Type the type declared when asking. */
function post(upload, file, type, { onProgress, started }) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    const fields = Array.isArray(upload.fields) ? upload.fields : Object.entries(upload.fields || {});
    for (const [key, value] of fields) form.append(key, value);
    form.append("file", file.type === type ? file : new Blob([file], { type }), file.name || "file");
    const xhr = new XMLHttpRequest();
    started(xhr);
    xhr.open("POST", upload.url);
    xhr.upload.onprogress = (progress) => {
      if (progress.lengthComputable && progress.total) onProgress?.(progress.loaded / progress.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(1);
        resolve();
      } else {
        reject(storeRefusal(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () => reject(new UploadError("network", t("attach.network")));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(new UploadError("cancelled", t("attach.cancelled")));
    xhr.send(form);
  });
}

/** Ask for a presigned POST for `file` in this chat, then upload it. Returns
 * `{promise, abort}`: the promise gives what the API answered (`attachment_id`,
 * the cleaned `filename`, `content_type`, `size`) once the file is in the store. */
export function uploadFile(chatId, file, { onProgress } = {}) {
  let xhr = null;
  let aborted = false;
  const cancelled = () => new UploadError("cancelled", t("attach.cancelled"));
  const promise = (async () => {
    const type = typeOf(file);
    let ticket;
    try {
      ticket = await api.requestAttachment(chatId, { filename: file.name || "file", content_type: type, size: file.size });
    } catch (error) {
      if (aborted) throw cancelled();
      throw Object.assign(new UploadError(error.code, error.message, error.status), { reason: error.reason });
    }
    if (aborted) throw cancelled();
    if (!ticket?.upload?.url || !/^https?:/i.test(ticket.upload.url)) throw new UploadError("store", t("attach.storeRefused", { status: 0, code: "—" }));
    await post(ticket.upload, file, ticket.content_type || type, { onProgress, started: (request) => { xhr = request; } });
    return {
      attachment_id: ticket.attachment_id,
      filename: ticket.filename || file.name,
      content_type: ticket.content_type || type,
      size: ticket.size ?? file.size,
    };
  })();
  return {
    promise,
    abort() {
      aborted = true;
      xhr?.abort();
    },
  };
}
