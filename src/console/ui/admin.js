/** Admin pages (the admin action): storage and HSM, verify, API keys, users, audit trail. */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { sendJson } from './session.js';
import { Table, bytes, useJson, when } from './admin-common.js';
import { ApiKeys, Users } from './admin-access.js';
import { Audit } from './admin-audit.js';

const TABS = [
  ['storage', 'Storage & HSM'],
  ['verify', 'Verify'],
  ['keys', 'API keys'],
  ['users', 'Users'],
  ['audit', 'Audit'],
];

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
