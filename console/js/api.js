// The REST client: API.md's endpoints, one function each. The base URL comes from
// config.js, overridable per browser on the login screen.

import { errorText } from "./errors.js";
import * as session from "./session.js";

const API_BASE_KEY = "console.apiBase";

export class ApiError extends Error {
  constructor(status, code, message, reason) {
    // Gateways echo the Authorization header in some errors (raw, after "Bearer",
    // or hashed): never show anything that looks like a token.
    const detail = redact(message || code || `HTTP ${status}`);
    // `message` is what the console shows: the code in the reader's language.
    super(errorText({ code, status, detail, reason }));
    this.status = status;
    this.code = code || "http_error";
    this.detail = detail; // the server's own words, for the code that reads them
    this.reason = typeof reason === "string" ? reason : null; // `bad_attachment`'s why
  }

  /** The route does not exist on this backend: API Gateway's gateway response
   * answers 404 `not_found` (a plain static host 404 without a code); older
   * deployments answered 403 "Missing Authentication Token". */
  get missingRoute() {
    return (
      (this.status === 404 && ["not_found", "http_error"].includes(this.code)) ||
      (this.status === 403 && /Missing Authentication Token|Authorization header requires/i.test(this.detail))
    );
  }
}

// Token-shaped text: an Authorization value, a JWT (three base64url parts), a
// long base64, base64url or hex run (tickets, signatures, hashed headers).
const TOKEN_SHAPES = [
  [/Bearer\s+\S+/gi, "Bearer …"],
  [/\beyJ[\w-]*\.[\w-]*\.[\w-]*/g, "…"],
  [/[\w-]{8,}\.[\w-]{8,}\.[\w-]{16,}/g, "…"],
  [/[A-Za-z0-9+/_-]{32,}={0,2}/g, "…"],
];

/** `text` without anything token-shaped, at most 300 characters. */
export function redact(text) {
  let safe = String(text);
  for (const [shape, replacement] of TOKEN_SHAPES) safe = safe.replace(shape, replacement);
  return safe.slice(0, 300);
}

export function defaultApiBase() {
  return (window.CONSOLE_CONFIG && window.CONSOLE_CONFIG.apiBase) || "/api";
}

export function apiBase() {
  return (localStorage.getItem(API_BASE_KEY) || defaultApiBase()).replace(/\/+$/, "");
}

export function setApiBase(value) {
  const trimmed = (value || "").trim();
  if (trimmed) localStorage.setItem(API_BASE_KEY, trimmed);
  else localStorage.removeItem(API_BASE_KEY);
}

export function customApiBase() {
  return localStorage.getItem(API_BASE_KEY) || "";
}

let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function request(method, path, body, { auth = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = session.token();
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(apiBase() + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "network_error", error.message || "network error");
  }
  if (response.status === 204) return null;
  let payload = null;
  const text = await response.text();
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = { message: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, payload?.code, payload?.message, payload?.reason);
    if (response.status === 401 && auth) onUnauthorized(error);
    throw error;
  }
  return payload;
}

const get = (path, params) => request("GET", path + query(params));
const post = (path, body) => request("POST", path, body ?? {});
const put = (path, body) => request("PUT", path, body);
const del = (path) => request("DELETE", path);
const id = encodeURIComponent;

export const api = {
  login: (serviceId, email, password) =>
    request("POST", "/auth/login", { service_id: serviceId, email, password }, { auth: false }),
  logout: () => post("/auth/logout"),
  me: () => get("/me"),
  wsTicket: () => post("/auth/ws-ticket"),

  setStatus: (status) => put("/me/status", { status }),
  chats: () => get("/chats"),
  chat: (chatId) => get(`/chats/${id(chatId)}`),
  messages: (chatId, afterSeq = 0) => get(`/chats/${id(chatId)}/messages`, { after_seq: afterSeq }),
  openChat: (chatId) => post(`/chats/${id(chatId)}/open`),
  markRead: (chatId, seq) => post(`/chats/${id(chatId)}/read`, { seq }),
  saveInfo: (chatId, info) => put(`/chats/${id(chatId)}/info`, info),
  requestRating: (chatId) => post(`/chats/${id(chatId)}/rating-request`),
  endChat: (chatId) => post(`/chats/${id(chatId)}/end`),
  createTicket: (chatId, ticket) => post(`/chats/${id(chatId)}/tickets`, ticket),
  // Internal notes (R-NOTE-1) and transfer (R-TR-1).
  chatNotes: (chatId) => get(`/chats/${id(chatId)}/notes`),
  addNote: (chatId, text) => post(`/chats/${id(chatId)}/notes`, { text }),
  transferTargets: (chatId) => get(`/chats/${id(chatId)}/transfer-targets`),
  /** To `operatorId`, or back to the queue when it is empty; `note` is the optional handover note. */
  transferChat: (chatId, { operatorId, note } = {}) =>
    post(`/chats/${id(chatId)}/transfer`, { ...(operatorId ? { operator_id: operatorId } : {}), ...(note ? { note } : {}) }),
  // Files in chats (R-ATT-1): `{filename, content_type, size}` → 201 `{attachment_id,
  // filename, content_type, size, upload: {url, fields}, expires_at}`; and a fresh link.
  requestAttachment: (chatId, file) => post(`/chats/${id(chatId)}/attachments`, file),
  attachmentLink: (chatId, attachmentId) => get(`/chats/${id(chatId)}/attachments/${id(attachmentId)}`),
  // Blocking (R-BLK-1): `{reason?, days? (1–365), include_ip?}` → 201 block; the chat ends.
  blockVisitor: (chatId, { reason, days, includeIp } = {}) =>
    post(`/chats/${id(chatId)}/block`, { ...(reason ? { reason } : {}), days, include_ip: Boolean(includeIp) }),

  /** The queue: `{status, assignee_id ("none" = unassigned), channel, q, cursor, limit}`. */
  tickets: (filters) => get("/tickets", filters),
  ticket: (ticketId) => get(`/tickets/${id(ticketId)}`),
  /** `{status?, assignee_id? (null = unassign), subject?, category_id? (null = none)}` → ticket. */
  updateTicket: (ticketId, fields) => put(`/tickets/${id(ticketId)}`, fields),
  ticketThread: (ticketId) => get(`/tickets/${id(ticketId)}/thread`),
  /** Emailed to the requester → the new thread entry. */
  replyToTicket: (ticketId, text) => post(`/tickets/${id(ticketId)}/replies`, { text }),
  ticketChatHistory: (ticketId) => get(`/tickets/${id(ticketId)}/chat-history`),

  history: (filters) => get("/history", filters),
  startExport: (filters) => post("/history/exports", filters),
  exportStatus: (exportId) => get(`/history/exports/${id(exportId)}`),
  stats: (from, to) => get("/stats", { from, to }),

  settings: () => get("/settings"),
  saveSettings: (values) => put("/settings", values),
  widgetSnippet: () => get("/settings/widget-snippet"),
  holidayCountries: () => get("/settings/holiday-countries"),
  rotateIdentitySecret: () => post("/settings/identity-secret"),

  categories: () => get("/categories"),
  createCategory: (name, parentId) => post("/categories", parentId ? { name, parent_id: parentId } : { name }),
  updateCategory: (categoryId, fields) => put(`/categories/${id(categoryId)}`, fields),
  deleteCategory: (categoryId) => del(`/categories/${id(categoryId)}`),

  operators: () => get("/operators"),
  team: () => get("/team"),
  createOperator: (fields) => post("/operators", fields),
  updateOperator: (operatorId, fields) => put(`/operators/${id(operatorId)}`, fields),
  deleteOperator: (operatorId) => del(`/operators/${id(operatorId)}`),

  // Admins: the blocks in force (R-BLK-1) and the live monitor (R-SUP-1).
  blocks: () => get("/blocks"),
  liftBlock: (blockId) => del(`/blocks/${id(blockId)}`),
  monitor: () => get("/monitor"),

  // Admins: signed webhooks (R-HOOK-1). The secret comes only from create and rotate.
  webhooks: () => get("/webhooks"),
  /** `{url, events}` → 201 webhook with its `secret`. */
  createWebhook: (fields) => post("/webhooks", fields),
  /** `{url?, events?, enabled?}` → webhook. */
  updateWebhook: (webhookId, fields) => put(`/webhooks/${id(webhookId)}`, fields),
  deleteWebhook: (webhookId) => del(`/webhooks/${id(webhookId)}`),
  rotateWebhookSecret: (webhookId) => post(`/webhooks/${id(webhookId)}/secret`),
  testWebhook: (webhookId) => post(`/webhooks/${id(webhookId)}/test`),
  /** Newest first, 20 a page: `{deliveries, next_cursor}`. */
  webhookDeliveries: (webhookId, cursor) => get(`/webhooks/${id(webhookId)}/deliveries`, { cursor }),
  redeliver: (webhookId, deliveryId) =>
    post(`/webhooks/${id(webhookId)}/deliveries/${id(deliveryId)}/redeliver`),

  // Admins: the audit log (R-AUD-1), newest first: `{from?, to? (YYYY-MM-DD, the
  // service's local days), action?, cursor?}` → `{entries, next_cursor}`.
  audit: (filters) => get("/audit", filters),

  // Admins: erase one customer's personal data (R-PRIV-2): `{customer_id}` or
  // `{email}`, exactly one → 200 erasure `done`, or 202 `running` (then ask for it).
  eraseCustomer: (who) => post("/privacy/erase", who),
  /** `{erasure_id, status: "running" | "done", erased: {customers, chats, messages,
   * attachments, tickets}, started_at, finished_at}`. */
  erasure: (erasureId) => get(`/privacy/erasures/${id(erasureId)}`),

  // Canned responses (R-CAN-1): the service's set and the caller's personal set.
  cannedResponses: () => get("/canned-responses"),
  createCanned: (fields) => post("/canned-responses", fields),
  updateCanned: (cannedId, fields) => put(`/canned-responses/${id(cannedId)}`, fields),
  deleteCanned: (cannedId) => del(`/canned-responses/${id(cannedId)}`),

  // The local stack's mail outbox (served there only, without a token; 404 on AWS).
  localOutbox: () => request("GET", "/local/outbox", undefined, { auth: false }),
};
