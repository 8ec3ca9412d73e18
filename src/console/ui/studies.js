/**
 * The study list: QIDO-RS Search for Studies (PS3.18 10.6) with the usual filters, paged with
 * limit/offset (the Warning header says when more remain, 8.3.4.4.1), each row with its
 * study thumbnail. Sorting orders the page shown (QIDO-RS has no sort parameter).
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api, problemOf } from './session.js';
import { AuthImage } from './auth-image.js';
import { TAGS, date, dicomDate, first, text } from './dicom.js';

const MODALITIES = [
  '',
  'CR',
  'CT',
  'DX',
  'ECG',
  'MG',
  'MR',
  'NM',
  'OT',
  'PT',
  'RTDOSE',
  'RTSTRUCT',
  'SEG',
  'SM',
  'SR',
  'US',
  'XA',
];
const FILTERS_KEY = 'strata.studyFilters';

const COLUMNS = [
  { key: 'name', label: 'Patient', value: (s) => text(s, TAGS.PatientName) },
  { key: 'id', label: 'Patient ID', value: (s) => text(s, TAGS.PatientID) },
  { key: 'date', label: 'Date', value: (s) => first(s, TAGS.StudyDate) ?? '' },
  { key: 'modality', label: 'Modality', value: (s) => text(s, TAGS.ModalitiesInStudy) },
  { key: 'description', label: 'Description', value: (s) => text(s, TAGS.StudyDescription) },
  { key: 'accession', label: 'Accession', value: (s) => text(s, TAGS.AccessionNumber) },
  {
    key: 'instances',
    label: 'Series / instances',
    value: (s) => Number(first(s, TAGS.NumberOfStudyRelatedInstances) ?? 0),
  },
];

/** A free-text match: as typed when it has wildcards, else "contains" (PS3.18 8.3.4.6.1). */
function wildcard(value) {
  return /[*?]/.test(value) ? value : `*${value}*`;
}

export function queryOf(filters, limit, offset) {
  const q = new URLSearchParams({ limit: String(limit), offset: String(offset) });
  for (const field of [
    'StudyDescription',
    'ModalitiesInStudy',
    'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances',
  ]) {
    q.append('includefield', field);
  }
  if (filters.name) q.set('PatientName', wildcard(filters.name));
  if (filters.id) q.set('PatientID', filters.id);
  if (filters.accession) q.set('AccessionNumber', filters.accession);
  if (filters.modality) q.set('ModalitiesInStudy', filters.modality);
  if (filters.from || filters.to)
    q.set('StudyDate', `${dicomDate(filters.from)}-${dicomDate(filters.to)}`);
  return q;
}

export function StudyList({ ctx }) {
  const [filters, setFilters] = useState(() =>
    JSON.parse(sessionStorage.getItem(FILTERS_KEY) ?? '{}'),
  );
  const [limit, setLimit] = useState(25);
  const [offset, setOffset] = useState(0);
  const [rows, setRows] = useState(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState('');
  const [sort, setSort] = useState({ key: 'date', desc: true });

  useEffect(() => {
    const abort = new AbortController();
    setError('');
    sessionStorage.setItem(FILTERS_KEY, JSON.stringify(filters));
    (async () => {
      const response = await api(`${ctx.root}/studies?${queryOf(filters, limit, offset)}`, {
        headers: { Accept: 'application/dicom+json' },
        signal: abort.signal,
      });
      if (!response.ok) throw await problemOf(response);
      // PS3.18 8.3.4.4.1: "There are N additional results that can be requested".
      setMore(/additional results/.test(response.headers.get('Warning') ?? ''));
      setRows(response.status === 204 ? [] : await response.json());
    })().catch((e) => !abort.signal.aborted && setError(e.message));
    return () => abort.abort();
  }, [filters, limit, offset]);

  function search(event) {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.currentTarget));
    setOffset(0);
    setFilters(Object.fromEntries(Object.entries(form).filter(([, v]) => String(v).trim() !== '')));
  }

  const column = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[2];
  const sorted = [...(rows ?? [])].sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return sort.desc ? -order : order;
  });

  return html`
    <section>
      <form class="filters" onSubmit=${search} aria-label="Study filters">
        <label>Patient name <input name="name" value=${filters.name ?? ''} /></label>
        <label>Patient ID <input name="id" value=${filters.id ?? ''} /></label>
        <label>Accession <input name="accession" value=${filters.accession ?? ''} /></label>
        <label
          >Modality
          <select name="modality" value=${filters.modality ?? ''}>
            ${MODALITIES.map((m) => html`<option value=${m}>${m || 'any'}</option>`)}
          </select></label
        >
        <label>From <input type="date" name="from" value=${filters.from ?? ''} /></label>
        <label>To <input type="date" name="to" value=${filters.to ?? ''} /></label>
        <button type="submit">Search</button>
        <button type="button" class="secondary" onClick=${() => (setOffset(0), setFilters({}))}>
          Clear
        </button>
      </form>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <table class="studies">
        <thead>
          <tr>
            <th></th>
            ${COLUMNS.map(
              (c) =>
                html`<th>
                  <button
                    class="sort"
                    aria-sort=${sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
                    onClick=${() => setSort({ key: c.key, desc: sort.key === c.key ? !sort.desc : false })}
                  >
                    ${c.label}${sort.key === c.key ? (sort.desc ? ' ▾' : ' ▴') : ''}
                  </button>
                </th>`,
            )}
          </tr>
        </thead>
        <tbody>
          ${sorted.map((s) => {
            const uid = first(s, TAGS.StudyInstanceUID);
            const open = () => (location.hash = `#/study/${encodeURIComponent(uid)}`);
            return html`<tr
              class="study"
              data-uid=${uid}
              onClick=${open}
              tabindex="0"
              onKeyDown=${(e) => e.key === 'Enter' && open()}
            >
              <td><${AuthImage} src=${`${ctx.root}/studies/${uid}/thumbnail`} alt="" /></td>
              <td>${text(s, TAGS.PatientName)}</td>
              <td>${text(s, TAGS.PatientID)}</td>
              <td>${date(first(s, TAGS.StudyDate))}</td>
              <td>${text(s, TAGS.ModalitiesInStudy)}</td>
              <td>${text(s, TAGS.StudyDescription)}</td>
              <td>${text(s, TAGS.AccessionNumber)}</td>
              <td>
                ${`${first(s, TAGS.NumberOfStudyRelatedSeries) ?? ''} / ${first(s, TAGS.NumberOfStudyRelatedInstances) ?? ''}`}
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      ${rows && rows.length === 0 && html`<p class="empty">No study matches.</p>`}
      <div class="pager">
        <button disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - limit))}>
          Previous
        </button>
        <span>${rows ? `${offset + 1}–${offset + rows.length}` : '…'}</span>
        <button disabled=${!more} onClick=${() => setOffset(offset + limit)}>Next</button>
        <label
          >Per page
          <select
            value=${limit}
            onChange=${(e) => (setOffset(0), setLimit(Number(e.currentTarget.value)))}
          >
            ${[25, 50, 100].map((n) => html`<option value=${n}>${n}</option>`)}
          </select></label
        >
      </div>
    </section>
  `;
}
