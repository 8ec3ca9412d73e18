/** The audit trail (GET /admin/audit): filters, newest first, page by page. */
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { Table, useJson, when } from './admin-common.js';

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

export function Audit() {
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
