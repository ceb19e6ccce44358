// The marketplace's REST API as the browser uses it: same origin, the HttpOnly session cookie,
// JSON in and out. A refusal becomes an ApiFailure carrying the API's machine-readable code, its
// message and the rule that refused, so pages can show it next to the field concerned.

export class ApiFailure extends Error {
  constructor(status, error) {
    super(error?.message ?? `请求失败 (${status})`);
    this.status = status;
    this.code = error?.code ?? 'unknown';
    this.rule = error?.rule ?? null;
  }
}

let keyCounter = 0;

/** A fresh idempotency key: a retry of the same click must not order twice. */
export function idempotencyKey() {
  keyCounter += 1;
  return `web-${Date.now().toString(36)}-${keyCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

async function request(method, path, body, key) {
  const headers = { 'accept': 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers['idempotency-key'] = key;
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await response.text();
  const value = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiFailure(response.status, value?.error);
  return value;
}

export const get = (path) => request('GET', path);
export const post = (path, body = {}) => request('POST', path, body, idempotencyKey());
