/** What the admin pages share: loading JSON, a table, sizes and times. */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { apiJson } from './session.js';

/** Loads a JSON resource, again whenever `deps` change; errors are shown in place. */
export function useJson(url, deps = []) {
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

export const bytes = (n) =>
  n >= 1 << 30
    ? `${(n / (1 << 30)).toFixed(2)} GiB`
    : n >= 1 << 20
      ? `${(n / (1 << 20)).toFixed(1)} MiB`
      : `${Math.round(n / 1024)} KiB`;
export const when = (t) => (t ? new Date(t).toLocaleString() : '—');

export function Table({ rows, columns }) {
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
