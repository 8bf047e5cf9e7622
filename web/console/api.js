// The REST client: the JSON envelope unwrapped, errors as ApiError with the API's code. The
// token lives in the tab's session storage; a 401 on any call but the login signs the tab out.

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export const auth = { token: sessionStorage.getItem('wadesk.token'), onSignedOut: () => {} };

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
  }
  const json = await res.json().catch(() => null);
  if (res.status === 401 && path !== '/api/auth/login') {
    auth.onSignedOut();
    throw new ApiError(401, json?.error?.code ?? 'unauthenticated', 'You were signed out. Sign in again.');
  }
  if (!res.ok || !json?.success) {
    throw new ApiError(res.status, json?.error?.code ?? 'http_error', json?.error?.message ?? `HTTP ${res.status}`);
  }
  return json.data;
}

export const items = (data) => (Array.isArray(data) ? data : data.items ?? []);
export const sessionPath = (s) => `/api/whatsapp/sessions/${encodeURIComponent(s.id)}`;
export const chatPath = (s, c) => `${sessionPath(s)}/chats/${encodeURIComponent(c.id)}`;

// A random id for clientMessageId (crypto.randomUUID needs a secure context; this does not).
export function randomId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
