// The public REST calls of API.md the widget makes.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

async function call(url, options) {
  let response;
  try {
    response = await fetch(url, { ...options, credentials: 'omit', cache: 'no-store' });
  } catch (error) {
    throw new ApiError(0, 'network', error.message);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body.code || 'error', body.message);
  return body;
}

export function widgetApi(base, key) {
  const root = `${base}/widget/${encodeURIComponent(key)}`;
  const post = (path, body) => call(`${root}/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    /** {enabled, operators_online, languages, default_language, inquiry_form_url,
     * consent_text, consent_version, texts, open, next_open_at, business_hours,
     * offline_form, categories} */
    config: () => call(`${root}/config`),
    /** {visitor_token, customer_id, ticket, ws_url, open_chat} */
    session: (body) => post('session', body),
    /** {ticket_id, number}: 201, or 200 for a submission_id already received. */
    offlineMessage: (body) => post('offline-message', body),
  };
}
