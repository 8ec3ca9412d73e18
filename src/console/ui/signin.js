/** Sign-in: built-in account (password + one-time code), OIDC with PKCE, or an API key. */
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { problemOf, sessionOfGrant, setSession } from './session.js';
import { startOidc } from './oidc.js';

export function SignIn({ config, error: initialError }) {
  const methods = config.methods;
  const [error, setError] = useState(initialError ?? '');
  const [busy, setBusy] = useState(false);
  const none = methods.length === 0;

  async function account(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = new URLSearchParams({
      grant_type: 'password',
      username: String(form.get('username')),
      password: String(form.get('password')),
    });
    const totp = String(form.get('totp') ?? '').trim();
    if (totp) body.set('totp', totp);
    setBusy(true);
    setError('');
    try {
      const response = await fetch('/auth/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
      });
      if (!response.ok) throw await problemOf(response);
      setSession(sessionOfGrant('account', await response.json()));
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  async function apiKey(event) {
    event.preventDefault();
    const key = String(new FormData(event.currentTarget).get('key')).trim();
    const response = await fetch('/auth/whoami', { headers: { Authorization: `Bearer ${key}` } });
    if (!response.ok) return setError((await problemOf(response)).message);
    setSession({ via: 'api-key', token: key });
  }

  return html`
    <div class="signin">
      <h1>Strata</h1>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${
        none &&
        html`<p>
          No sign-in method is configured (AUTH_METHODS) and anonymous access allows nothing here.
        </p>`
      }
      ${
        methods.includes('account') &&
        html`<form onSubmit=${account} class="card" aria-label="Sign in with an account">
          <label>User name <input name="username" autocomplete="username" required /></label>
          <label
            >Password
            <input name="password" type="password" autocomplete="current-password" required
          /></label>
          <label
            >One-time code
            <input
              name="totp"
              inputmode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9]{6}"
              placeholder="if your account has one"
          /></label>
          <button type="submit" disabled=${busy}>Sign in</button>
        </form>`
      }
      ${
        config.oidc &&
        html`<div class="card">
          <button onClick=${() => startOidc(config.oidc).catch((e) => setError(e.message))}>
            Sign in with ${new URL(config.oidc.issuer).host}
          </button>
        </div>`
      }
      ${
        methods.includes('api-key') &&
        html`<form onSubmit=${apiKey} class="card" aria-label="Use an API key">
          <label
            >API key
            <input name="key" type="password" autocomplete="off" placeholder="strata_…" required
          /></label>
          <button type="submit">Use key</button>
        </form>`
      }
    </div>
  `;
}
