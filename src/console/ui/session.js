/**
 * The signed-in session and the one way the console calls Strata. Tokens live in memory and in
 * sessionStorage (per tab, gone when the tab closes), never in cookies: every request carries
 * `Authorization: Bearer`, so no request can be forged from another site.
 */

const KEY = 'strata.session';
/** Refresh this long before the access token expires. */
const EARLY_MS = 30_000;

/**
 * @typedef {object} Session
 * @property {'account'|'oidc'|'api-key'|'anonymous'} via
 * @property {string} [token] bearer token (access token or API key)
 * @property {string} [refreshToken]
 * @property {number} [expiresAt] ms since epoch
 * @property {string} [tokenEndpoint] OIDC: where refresh grants go
 * @property {string} [clientId] OIDC client id
 */

/** @type {Session | null} */
let current = read();
/** @type {Set<(s: Session | null) => void>} */
const listeners = new Set();
/** @type {Promise<boolean> | undefined} */
let refreshing;

function read() {
  try {
    const text = sessionStorage.getItem(KEY);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** @returns {Session | null} */
export function session() {
  return current;
}

/** @param {Session | null} next */
export function setSession(next) {
  current = next;
  if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(next);
}

/** @param {(s: Session | null) => void} listener */
export function onSession(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A token grant (RFC 6749 §5.1) as a session. */
export function sessionOfGrant(via, grant, extra = {}) {
  return {
    via,
    token: grant.access_token,
    refreshToken: grant.refresh_token,
    expiresAt: grant.expires_in ? Date.now() + grant.expires_in * 1000 : undefined,
    ...extra,
  };
}

/**
 * Refresh token rotation: each refresh answers a new refresh token and the old one stops
 * working, so only one refresh may be in flight (two would spend the same token twice).
 */
function refresh() {
  refreshing ??= (async () => {
    const s = current;
    if (!s?.refreshToken) return false;
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: s.refreshToken,
    });
    if (s.clientId) form.set('client_id', s.clientId);
    try {
      const response = await fetch(s.tokenEndpoint ?? '/auth/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      if (!response.ok) return false;
      const grant = await response.json();
      setSession({
        ...s,
        ...sessionOfGrant(s.via, grant),
        refreshToken: grant.refresh_token ?? s.refreshToken,
      });
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

/** The Authorization header value for the current session, refreshed first when due. */
export async function authorization() {
  const s = current;
  if (s?.expiresAt && s.refreshToken && s.expiresAt - Date.now() < EARLY_MS) await refresh();
  return current?.token ? `Bearer ${current.token}` : undefined;
}

/**
 * fetch() with the session's bearer token. A 401 tries one refresh and the request again; a
 * 401 after that ends the session (back to the sign-in page).
 * @param {string} url
 * @param {RequestInit} [init]
 */
export async function api(url, init = {}) {
  const send = async () => {
    const headers = new Headers(init.headers);
    const auth = await authorization();
    if (auth) headers.set('Authorization', auth);
    return fetch(url, { ...init, headers });
  };
  let response = await send();
  if (response.status === 401 && current?.refreshToken && (await refresh())) {
    response = await send();
  }
  if (response.status === 401 && current && current.via !== 'anonymous') setSession(null);
  return response;
}

/** An error from a problem+json answer (RFC 9457), or the status line. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** @param {Response} response */
export async function problemOf(response) {
  let detail = response.statusText || `HTTP ${response.status}`;
  try {
    const body = await response.json();
    detail = body.detail || body.title || detail;
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(response.status, detail);
}

/**
 * The JSON answer, or an ApiError. 204 → null.
 * @param {string} url
 * @param {RequestInit} [init]
 */
export async function apiJson(url, init) {
  const response = await api(url, init);
  if (!response.ok) throw await problemOf(response);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** POST/DELETE with a JSON body. */
export function sendJson(url, method, body) {
  return apiJson(url, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
