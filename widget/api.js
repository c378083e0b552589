// The two public REST calls of API.md the widget makes.

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
  return {
    /** {enabled, operators_online, languages, default_language, inquiry_form_url, consent_text} */
    config: () => call(`${root}/config`),
    /** {visitor_token, customer_id, ticket, ws_url, open_chat} */
    session: (body) =>
      call(`${root}/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }),
  };
}
