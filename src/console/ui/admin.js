/** Admin pages (the admin action): storage and HSM, verify, API keys, users, audit trail. */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { apiJson, sendJson } from './session.js';
import { Confirm } from './confirm.js';

const TABS = [
  ['storage', 'Storage & HSM'],
  ['verify', 'Verify'],
  ['keys', 'API keys'],
  ['users', 'Users'],
  ['audit', 'Audit'],
];
const ROLES = ['reader', 'uploader', 'writer', 'editor', 'admin'];
/** PS3.16 CID 400 event IDs the trail records. */
const EVENTS = {
  110100: 'Application activity',
  110103: 'Instances accessed',
  110104: 'Instances transferred',
  110105: 'Study deleted',
  110106: 'Export',
  110107: 'Import',
  110112: 'Query',
  110113: 'Security alert',
  110114: 'User authentication',
};

export function Admin({ ctx, tab }) {
  const page =
    { storage: Storage, verify: Verify, keys: ApiKeys, users: Users, audit: Audit }[tab] ?? Storage;
  return html`<section class="admin">
    <nav class="tabs">
      ${TABS.map(([id, label]) => html`<a href=${`#/admin/${id}`} class=${tab === id ? 'active' : ''}>${label}</a>`)}
    </nav>
    <${page} ctx=${ctx} />
  </section>`;
}

/** Loads a JSON resource, again whenever `deps` change; errors are shown in place. */
function useJson(url, deps = []) {
  const [state, setState] = useState({ data: null, error: '' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    apiJson(url).then(
      (data) => setState({ data, error: '' }),
      (e) =>
        setState({
          data: null,
          error:
            e.status === 404
              ? 'Not available on this server (the feature is not configured).'
              : e.message,
        }),
    );
  }, [url, tick, ...deps]);
  return [state, () => setTick((t) => t + 1)];
}

const bytes = (n) =>
  n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(2)} GiB`
    : n >= 1 << 20
      ? `${(n / (1 << 20)).toFixed(1)} MiB`
      : `${Math.round(n / 1024)} KiB`;
const when = (t) => (t ? new Date(t).toLocaleString() : '—');

function Table({ rows, columns }) {
  if (!rows?.length) return html`<p class="empty">Nothing yet.</p>`;
  return html`<table class="grid">
    <thead>
      <tr>
        ${columns.map(([label]) => html`<th>${label}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) =>
          html`<tr>
            ${columns.map(([, cell]) => html`<td>${cell(r)}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function Storage() {
  const [stats, reloadStats] = useJson('/admin/hsm/stats');
  const [cycles, reloadCycles] = useJson('/admin/hsm/cycles?limit=20');
  const [message, setMessage] = useState('');
  async function run() {
    setMessage('running a cycle…');
    try {
      const result = await sendJson('/admin/hsm/run', 'POST');
      setMessage(`cycle finished: ${JSON.stringify(result)}`);
    } catch (e) {
      setMessage(e.message);
    }
    reloadStats();
    reloadCycles();
  }
  const totals = stats.data?.totals;
  return html`<div>
    <h3>Storage tiers</h3>
    ${stats.error && html`<p class="error">${stats.error}</p>`}
    <${Table}
      rows=${stats.data?.tiers}
      columns=${[
        ['Tier', (t) => t.tier],
        ['Instances', (t) => t.instances],
        ['Size', (t) => bytes(t.bytes)],
        ['Studies', (t) => t.studies],
        ['Series', (t) => t.series],
        ['Patients', (t) => t.patients],
      ]}
    />
    ${totals && html`<p>All cycles: ${totals.cycles} cycles, ${totals.migrated} moved (${bytes(totals.bytes)}), ${totals.skipped} skipped, ${totals.failed ?? 0} failed.</p>`}
    <p><button onClick=${run}>Run an HSM cycle now</button> <span>${message}</span></p>
    <h3>Recent HSM cycles</h3>
    ${cycles.error && html`<p class="error">${cycles.error}</p>`}
    <${Table}
      rows=${cycles.data?.cycles}
      columns=${[
        ['Started', (c) => when(c.startedAt)],
        ['Finished', (c) => when(c.finishedAt)],
        ['Trigger', (c) => c.trigger],
        ['Worker', (c) => c.worker],
        ['Moved', (c) => c.migrated],
        ['Bytes', (c) => bytes(c.bytes)],
        ['Skipped', (c) => c.skipped],
        ['Failed', (c) => c.failed],
      ]}
    />
  </div>`;
}

const VERIFY_HELP =
  "Checks that every indexed instance's blob exists with its size (and, with checksums, its " +
  'SHA-256) and lists orphans. Orphans are reported here, never removed; to remove them, run';

/** One line of a verify report's counts. */
function counts(report) {
  return [
    `${report.instances} instances`,
    `${report.blobsListed} blobs listed`,
    `missing ${report.missing}`,
    `size mismatches ${report.sizeMismatches}`,
    `checksum mismatches ${report.checksumMismatches}`,
    `offline ${report.offline}`,
    `orphans ${report.orphans}`,
    `errors ${report.errors}`,
  ].join(' · ');
}

function Verify() {
  const [status, reload] = useJson('/admin/verify');
  const running = status.data?.running;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(reload, 2000);
    return () => clearInterval(timer);
  }, [running]);
  async function start(checksums) {
    await sendJson(`/admin/verify?checksums=${checksums}`, 'POST').catch(() => {});
    reload();
  }
  const last = status.data?.last;
  const report = last?.report;
  return html`<div>
    <h3>Storage verification</h3>
    <p>${VERIFY_HELP} <code>strata verify --remove-orphans</code>.</p>
    ${status.error && html`<p class="error">${status.error}</p>`}
    <p>
      <button disabled=${!!running} onClick=${() => start(true)}>Verify with checksums</button>
      <button disabled=${!!running} class="secondary" onClick=${() => start(false)}>
        Quick (sizes only)
      </button>
      ${running && html`<span> running since ${when(running.startedAt)}…</span>`}
    </p>
    ${!last && !running && html`<p class="empty">No verify run since the server started.</p>`}
    ${
      last &&
      html`<div class=${report?.ok ? 'ok' : 'warn'}>
        <p>
          ${`Last run ${when(last.startedAt)} – ${when(last.finishedAt)} (${last.checksums ? 'checksums' : 'sizes only'}): `}
          ${last.failed ? html`<b>failed (${last.failed})</b>` : report.ok ? html`<b>all good</b>` : html`<b>problems found</b>`}
        </p>
        ${
          report &&
          html`<p class="counts">${counts(report)}</p>
            <${Table}
              rows=${report.problems}
              columns=${[
                ['Kind', (p) => p.kind],
                ['Tier', (p) => p.tier],
                ['Key', (p) => p.key],
                ['Code', (p) => p.code ?? ''],
              ]}
            />`
        }
      </div>`
    }
  </div>`;
}

function ApiKeys() {
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

function Users() {
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

function Audit() {
  const [filters, setFilters] = useState({});
  const [pages, setPages] = useState([undefined]);
  const before = pages.at(-1);
  const query = new URLSearchParams({
    ...filters,
    limit: '100',
    ...(before ? { before: String(before) } : {}),
  });
  const [result] = useJson(`/admin/audit?${query}`);
  function search(e) {
    e.preventDefault();
    const form = Object.fromEntries(
      [...new FormData(e.currentTarget)].filter(([, v]) => String(v).trim() !== ''),
    );
    for (const k of ['from', 'to']) if (form[k]) form[k] = new Date(form[k]).toISOString();
    setFilters(form);
    setPages([undefined]);
  }
  return html`<div>
    <h3>Audit trail</h3>
    <form class="inline" onSubmit=${search} aria-label="Audit filters">
      <label>User <input name="user" /></label>
      <label
        >Event
        <select name="event">
          <option value="">any</option>
          ${Object.entries(EVENTS).map(([code, label]) => html`<option value=${code}>${label}</option>`)}
        </select></label
      >
      <label>Patient ID <input name="patientId" /></label>
      <label>Study UID <input name="studyUid" /></label>
      <label>From <input type="datetime-local" name="from" /></label>
      <label>To <input type="datetime-local" name="to" /></label>
      <button type="submit">Search</button>
    </form>
    ${result.error && html`<p class="error">${result.error}</p>`}
    <${Table}
      rows=${result.data?.records}
      columns=${[
        ['#', (r) => r.seq],
        ['When', (r) => when(r.at)],
        [
          'Event',
          (r) =>
            html`${EVENTS[r.eventId] ?? r.eventId}
              <small class="mono">${r.eventId}${r.eventType ? `/${r.eventType}` : ''}</small>`,
        ],
        ['Action', (r) => r.action],
        ['Outcome', (r) => r.outcome],
        ['User', (r) => (r.userId ? `${r.userId} (${r.userMethod})` : '—')],
        ['Client', (r) => r.clientAddress ?? ''],
        [
          'Detail',
          (r) =>
            html`<code
              >${r.detail ? JSON.stringify(r.detail) : ''}${r.query ? ` ${r.query}` : ''}</code
            >`,
        ],
      ]}
    />
    <div class="pager">
      <button disabled=${pages.length === 1} onClick=${() => setPages(pages.slice(0, -1))}>
        Newer
      </button>
      <button
        disabled=${!result.data?.next}
        onClick=${() => setPages([...pages, result.data.next])}
      >
        Older
      </button>
    </div>
  </div>`;
}
