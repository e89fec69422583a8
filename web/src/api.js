// api.js: the pages' one way to the broker's HTTP API, with the session
// cookie the browser holds. A request that changes something carries the
// session's CSRF token (X-CSRF-Token; the browser adds Origin). An answer
// 401 means the session is over: 'seam:signed-out' is dispatched on window.

const CSRF_KEY = 'seam.csrf';

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || 'http';
    this.field = error?.field || null;
  }
}

// opts.signal: an AbortSignal that cancels the request (a long-poll left behind).
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = localStorage.getItem(CSRF_KEY) || '';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: opts.signal,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (res.status === 401 && path !== '/v1/sessions') {
    localStorage.removeItem(CSRF_KEY);
    window.dispatchEvent(new Event('seam:signed-out'));
  }
  if (!res.ok) throw new ApiError(res.status, data?.error);
  return data;
}

// totp: the code of the user's authenticator app, for users who have one.
export async function signIn(user, password, totp) {
  const session = await api('POST', '/v1/sessions', totp ? { user, password, totp } : { user, password });
  localStorage.setItem(CSRF_KEY, session.csrf_token);
  return session;
}

export async function signOut() {
  try {
    await api('DELETE', '/v1/sessions/current');
  } finally {
    localStorage.removeItem(CSRF_KEY);
  }
}

// Who is signed in, or null.
export async function currentUser() {
  if (!localStorage.getItem(CSRF_KEY)) return null;
  try {
    return await api('GET', '/v1/sessions/current');
  } catch (e) {
    if (e.status === 401 || e.status === 404) return null;
    throw e;
  }
}
