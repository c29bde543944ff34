// The HTTP API, called with the bearer token kept in this browser.
//
// The session (token and user) lives in localStorage so that every tab of
// the same browser shares one login; logging out clears it for all of them.

const KEY = "shiftline.session";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function session() {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function saveSession(token, user) {
  localStorage.setItem(KEY, JSON.stringify({ token, user }));
}

export function clearSession() {
  localStorage.removeItem(KEY);
}

export const SWEEPER_ROLES = new Set(["owner", "admin", "moderator"]);

export function isSweeper(user) {
  return !!user && SWEEPER_ROLES.has(user.role);
}

/**
 * The logged-in session, or a trip to the login page (which comes back here).
 * Logged out, the promise never settles: the page stops quietly, without an
 * uncaught error, while the browser goes to the login page.
 * @returns {Promise<{ token: string, user: any }>}
 */
export function requireSession() {
  const s = session();
  if (!s || !s.token) {
    toLogin();
    return new Promise(() => {});
  }
  return Promise.resolve(s);
}

export function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

export function logout() {
  clearSession();
  location.assign("/login");
}

/**
 * Call the API; resolves with the parsed JSON body (or null for an empty one).
 * Rejects with ApiError: status 0 with code "offline" when the server cannot
 * be reached at all. A 401 sends the user back to the login page.
 */
export async function api(method, path, body) {
  const s = session();
  const headers = { Accept: "application/json" };
  if (s && s.token) headers.Authorization = `Bearer ${s.token}`;
  const init = { method, headers };
  if (body instanceof FormData) {
    init.body = body; // an upload: the browser writes the multipart Content-Type and boundary
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "offline", "The server cannot be reached right now.");
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = (data && data.error) || {};
    if (response.status === 401 && path !== "/api/login") {
      clearSession();
      toLogin();
    }
    throw new ApiError(
      response.status,
      err.code || `http_${response.status}`,
      err.message || `The server answered ${response.status}.`,
    );
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body === undefined ? {} : body);
export const put = (path, body) => api("PUT", path, body);

/** A query string from an object, leaving out null/undefined/"" values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Items of a list answer, whatever envelope the endpoint uses. */
export function items(data, ...keys) {
  if (Array.isArray(data)) return data;
  if (!data) return [];
  for (const k of [...keys, "items", "results", "data"]) {
    if (Array.isArray(data[k])) return data[k];
  }
  return [];
}
