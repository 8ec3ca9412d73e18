/**
 * An instance's attributes (Retrieve Metadata, PS3.18 10.4.1.1.2) as a table: tag, PS3.6
 * keyword (from /console/keywords.json), VR and value; sequences nested, bulk data named.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { apiJson } from './session.js';
import { personName } from './dicom.js';

/** @type {Promise<Record<string, string>> | undefined} */
let keywords;
function keywordTable() {
  keywords ??= fetch('/console/keywords.json').then((r) => r.json());
  return keywords;
}

const MAX_VALUE = 200;

function valueText(element) {
  if (element.BulkDataURI) return '(bulk data)';
  if (element.InlineBinary)
    return `(binary, ${Math.floor((element.InlineBinary.length * 3) / 4)} bytes)`;
  const values = element.Value ?? [];
  const shown = values
    .map((v) =>
      element.vr === 'PN' ? personName(v) : typeof v === 'object' ? JSON.stringify(v) : String(v),
    )
    .join(' \\ ');
  return shown.length > MAX_VALUE
    ? `${shown.slice(0, MAX_VALUE)}… (${shown.length} characters)`
    : shown;
}

function rowsOf(dataset, names, depth, out) {
  for (const tag of Object.keys(dataset).sort()) {
    const element = dataset[tag];
    const group = parseInt(tag.slice(0, 4), 16);
    const keyword = group % 2 === 1 ? '(private)' : (names[tag] ?? '');
    if (element.vr === 'SQ') {
      const items = element.Value ?? [];
      out.push({
        tag,
        keyword,
        vr: 'SQ',
        value: `${items.length} item${items.length === 1 ? '' : 's'}`,
        depth,
      });
      items.forEach((item, i) => {
        out.push({ tag: '', keyword: `item ${i + 1}`, vr: '', value: '', depth: depth + 1 });
        rowsOf(item, names, depth + 2, out);
      });
    } else {
      out.push({ tag, keyword, vr: element.vr, value: valueText(element), depth });
    }
  }
  return out;
}

export function TagTable({ url }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState('');
  const [filter, setFilter] = useState('');
  const [open, setOpen] = useState(false);

  useEffect(() => {
    if (!open) return;
    Promise.all([apiJson(url, { headers: { Accept: 'application/dicom+json' } }), keywordTable()])
      .then(([metadata, names]) => setRows(rowsOf(metadata?.[0] ?? {}, names, 0, [])))
      .catch((e) => setError(e.message));
  }, [url, open]);

  const needle = filter.toLowerCase();
  const visible = (rows ?? []).filter(
    (r) =>
      !needle ||
      r.keyword.toLowerCase().includes(needle) ||
      r.tag.toLowerCase().includes(needle.replace(/[(),]/g, '')) ||
      r.value.toLowerCase().includes(needle),
  );
  return html`<details class="tags" open=${open} onToggle=${(e) => setOpen(e.currentTarget.open)}>
    <summary>Tags of the instance shown</summary>
    <input
      type="search"
      placeholder="Filter by keyword, tag or value"
      value=${filter}
      onInput=${(e) => setFilter(e.currentTarget.value)}
    />
    ${error && html`<p class="error">${error}</p>`}
    <table class="tag-table">
      <thead>
        <tr>
          <th>Tag</th>
          <th>Keyword</th>
          <th>VR</th>
          <th>Value</th>
        </tr>
      </thead>
      <tbody>
        ${visible.map(
          (r) =>
            html`<tr class=${`depth-${Math.min(r.depth, 6)}`}>
              <td class="mono">${r.tag && `(${r.tag.slice(0, 4)},${r.tag.slice(4)})`}</td>
              <td>${r.keyword}</td>
              <td class="mono">${r.vr}</td>
              <td>${r.value}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </details>`;
}
