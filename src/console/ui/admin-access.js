/** Admin pages over who may do what: API keys and built-in accounts. */
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { sendJson } from './session.js';
import { Confirm } from './confirm.js';
import { Table, useJson, when } from './admin-common.js';

const ROLES = ['reader', 'uploader', 'writer', 'editor', 'admin'];
export function ApiKeys() {
  const [keys, reload] = useJson('/admin/api-keys');
  const [created, setCreated] = useState(null);
  const [error, setError] = useState('');
  const [confirm, setConfirm] = useState(null);
  async function create(e) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const patients = String(form.get('patientIds') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    try {
      setCreated(
        await sendJson('/admin/api-keys', 'POST', {
          name: form.get('name'),
          role: form.get('role'),
          ...(patients.length ? { patientIds: patients } : {}),
        }),
      );
      setError('');
      e.currentTarget?.reset?.();
      reload();
    } catch (err) {
      setError(err.message);
    }
  }
  return html`<div>
    <h3>API keys</h3>
    ${keys.error && html`<p class="error">${keys.error}</p>`}
    <${Table}
      rows=${keys.data?.keys}
      columns=${[
        ['Name', (k) => k.name],
        ['Role', (k) => k.role],
        ['Prefix', (k) => html`<code>${k.prefix}…</code>`],
        ['Patients', (k) => k.patientIds?.join(', ') ?? 'all'],
        ['Created', (k) => when(k.createdAt)],
        ['Last used', (k) => when(k.lastUsedAt)],
        [
          '',
          (k) =>
            k.revokedAt
              ? `revoked ${when(k.revokedAt)}`
              : html`<button
                  class="danger small"
                  onClick=${() => setConfirm({ title: `Revoke key ${k.name}?`, body: 'Clients using it are refused within seconds.', action: 'Revoke', run: () => sendJson(`/admin/api-keys/${encodeURIComponent(k.id)}`, 'DELETE').then(reload) })}
                >
                  Revoke
                </button>`,
        ],
      ]}
    />
    <form class="inline" onSubmit=${create} aria-label="New API key">
      <label
        >Name <input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._@:\\-]{0,63}"
      /></label>
      <label
        >Role
        <select name="role">
          ${ROLES.map((r) => html`<option>${r}</option>`)}
        </select></label
      >
      <label>Patient IDs <input name="patientIds" placeholder="all (or a comma list)" /></label>
      <button type="submit">Create key</button>
    </form>
    ${error && html`<p class="error">${error}</p>`}
    ${created && html`<p class="secret">Key <b>${created.name}</b>: <code>${created.key}</code> — copy it now, it is not shown again.</p>`}
    ${confirm && html`<${Confirm} ...${confirm} onClose=${() => setConfirm(null)} />`}
  </div>`;
}

export function Users() {
  const [users, reload] = useJson('/admin/users');
  const [created, setCreated] = useState(null);
  const [error, setError] = useState('');
  async function add(e) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    try {
      const result = await sendJson('/admin/users', 'POST', {
        username: form.get('username'),
        password: form.get('password'),
        roles: form.getAll('roles'),
        totpRequired: form.get('totp') === 'on',
      });
      setCreated(result);
      setError('');
      reload();
    } catch (err) {
      setError(err.message);
    }
  }
  const toggle = (u) =>
    sendJson(
      `/admin/users/${encodeURIComponent(u.username)}/${u.disabled ? 'enable' : 'disable'}`,
      'POST',
    ).then(reload, (e) => setError(e.message));
  return html`<div>
    <h3>Users</h3>
    ${users.error && html`<p class="error">${users.error}</p>`}
    <${Table}
      rows=${users.data?.users}
      columns=${[
        ['User', (u) => u.username],
        ['Roles', (u) => u.roles.join(', ')],
        ['Patients', (u) => u.patientIds?.join(', ') ?? 'all'],
        ['TOTP', (u) => u.totp],
        ['Last sign-in', (u) => when(u.lastLoginAt)],
        [
          'State',
          (u) =>
            u.disabled
              ? 'disabled'
              : u.lockedUntil && new Date(u.lockedUntil) > new Date()
                ? 'locked'
                : 'active',
        ],
        [
          '',
          (u) =>
            html`<button class="small" onClick=${() => toggle(u)}>
              ${u.disabled ? 'Enable' : 'Disable'}
            </button>`,
        ],
      ]}
    />
    <form class="inline" onSubmit=${add} aria-label="New user">
      <label>User name <input name="username" required /></label>
      <label
        >Password <input name="password" type="password" required autocomplete="new-password"
      /></label>
      <fieldset>
        <legend>Roles</legend>
        ${ROLES.map((r) => html`<label><input type="checkbox" name="roles" value=${r} /> ${r}</label>`)}
      </fieldset>
      <label><input type="checkbox" name="totp" checked /> one-time codes (TOTP)</label>
      <button type="submit">Add user</button>
    </form>
    ${error && html`<p class="error">${error}</p>`}
    ${created?.totp && html`<p class="secret">TOTP secret of <b>${created.username}</b>: <code>${created.totp.secret}</code> (<code>${created.totp.uri}</code>) — enter it in an authenticator app now; it is not shown again.</p>`}
  </div>`;
}
