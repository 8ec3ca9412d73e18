/**
 * OIDC sign-in: authorization code flow with PKCE (RFC 7636, S256) for a public client, the
 * way OAuth 2.0 for Browser-Based Apps recommends. The verifier, state and nonce wait in
 * sessionStorage for the redirect back to /console/callback; the tokens come from the issuer's
 * token endpoint, found through discovery (OpenID Connect Discovery 1.0 §4).
 */
import { sessionOfGrant, setSession } from './session.js';

const PENDING = 'strata.oidc';
const CALLBACK = '/console/callback';

/** @param {{ issuer: string }} oidc */
async function discover(oidc) {
  const url = `${oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the issuer's discovery answered ${response.status}`);
  return response.json();
}

function randomText(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** @param {Uint8Array} bytes */
function base64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Leaves for the issuer's sign-in page. */
export async function startOidc(oidc) {
  const meta = await discover(oidc);
  const verifier = randomText();
  const state = randomText(16);
  const nonce = randomText(16);
  sessionStorage.setItem(
    PENDING,
    JSON.stringify({ verifier, state, nonce, tokenEndpoint: meta.token_endpoint }),
  );
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: oidc.clientId,
    redirect_uri: location.origin + CALLBACK,
    scope: oidc.scopes,
    state,
    nonce,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** On /console/callback: trades the code for tokens, then back to the console's start page. */
export async function finishOidc(oidc) {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', '/');
  if (params.get('error')) throw new Error(params.get('error_description') ?? params.get('error'));
  if (!pending || params.get('state') !== pending.state) {
    throw new Error('the sign-in answer does not match a sign-in started here; try again');
  }
  const response = await fetch(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: location.origin + CALLBACK,
      client_id: oidc.clientId,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error(`the issuer refused the code (${response.status})`);
  const grant = await response.json();
  setSession(
    sessionOfGrant('oidc', grant, {
      tokenEndpoint: pending.tokenEndpoint,
      clientId: oidc.clientId,
    }),
  );
}

export function isOidcCallback() {
  return location.pathname === CALLBACK;
}
