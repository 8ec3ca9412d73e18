/**
 * One study: its series (with thumbnails), the stack viewer of the chosen series, the tags of
 * the instance shown, download as zip, the external viewer link, and delete where allowed.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api, apiJson, problemOf } from './session.js';
import { AuthImage } from './auth-image.js';
import { Confirm } from './confirm.js';
import { StackViewer } from './viewer.js';
import { TagTable } from './tags.js';
import { TAGS, date, first, text } from './dicom.js';

export function StudyView({ ctx, study }) {
  const base = `${ctx.root}/studies/${study}`;
  const [series, setSeries] = useState(null);
  const [info, setInfo] = useState(null);
  const [selected, setSelected] = useState(null);
  const [shown, setShown] = useState(null);
  const [error, setError] = useState('');
  const [confirm, setConfirm] = useState(null);
  const [download, setDownload] = useState('');
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const q = new URLSearchParams({ StudyInstanceUID: study });
    for (const f of ['StudyDescription', 'ModalitiesInStudy', 'PatientBirthDate', 'PatientSex'])
      q.append('includefield', f);
    apiJson(`${ctx.root}/studies?${q}`, { headers: { Accept: 'application/dicom+json' } })
      .then((rows) => setInfo(rows?.[0] ?? null))
      .catch((e) => setError(e.message));
    const sq = new URLSearchParams();
    for (const f of ['SeriesDescription', 'NumberOfSeriesRelatedInstances'])
      sq.append('includefield', f);
    apiJson(`${base}/series?${sq}`, { headers: { Accept: 'application/dicom+json' } })
      .then((rows) => {
        const list = (rows ?? []).sort(
          (a, b) =>
            Number(first(a, TAGS.SeriesNumber) ?? 0) - Number(first(b, TAGS.SeriesNumber) ?? 0),
        );
        setSeries(list);
        const keep = list.find((s) => first(s, TAGS.SeriesInstanceUID) === selected);
        setSelected(keep ? selected : (first(list[0], TAGS.SeriesInstanceUID) ?? null));
      })
      .catch((e) =>
        setError(e.status === 404 ? 'This study is not (or no longer) stored.' : e.message),
      );
  }, [study, reload]);

  async function remove(path, what) {
    const response = await api(path, { method: 'DELETE' });
    if (!response.ok) throw await problemOf(response);
    if (what === 'study') location.hash = '#/';
    else setReload((n) => n + 1);
  }

  /** Retrieve Instances as application/zip (PS3.18 10.4.1.1.1, Supplement 211), saved as a file. */
  async function downloadZip() {
    setDownload('starting…');
    try {
      const response = await api(base, { headers: { Accept: 'application/zip' } });
      if (!response.ok) throw await problemOf(response);
      const reader = response.body.getReader();
      const chunks = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        setDownload(`${(received / 1048576).toFixed(1)} MB`);
      }
      const url = URL.createObjectURL(new Blob(chunks, { type: 'application/zip' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `study-${study}.zip`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setDownload('');
    } catch (e) {
      setDownload(`failed: ${e.message}`);
    }
  }

  if (error)
    return html`<p class="error" role="alert">${error}</p>
      <a href="#/">Back to the list</a>`;
  const meta = [
    date(first(info, TAGS.StudyDate)),
    text(info, TAGS.ModalitiesInStudy),
    text(info, TAGS.StudyDescription),
    `accession ${text(info, TAGS.AccessionNumber) || '—'}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const viewer = ctx.config.viewerUrl?.replace('{StudyInstanceUID}', encodeURIComponent(study));
  return html`
    <section class="study-view">
      <div class="study-head">
        <a href="#/" class="back">← Studies</a>
        <h2>
          ${text(info, TAGS.PatientName) || '(no name)'}
          <small>${text(info, TAGS.PatientID)}</small>
        </h2>
        <p class="meta">${meta}</p>
        <div class="actions">
          <button onClick=${downloadZip} disabled=${download && !download.startsWith('failed')}>
            Download zip
          </button>
          ${download && html`<span class="progress-text">${download}</span>`}
          ${viewer && html`<a class="button" href=${viewer} target="_blank" rel="noopener noreferrer">Open in viewer</a>`}
          ${
            ctx.can('delete') &&
            html`<button
              class="danger"
              data-action="delete-study"
              onClick=${() =>
                setConfirm({
                  title: 'Delete this study?',
                  body: `Every series and instance of the study of ${text(info, TAGS.PatientName) || 'this patient'} is deleted. This cannot be undone.`,
                  run: () => remove(base, 'study'),
                })}
            >
              Delete study
            </button>`
          }
        </div>
      </div>
      <div class="study-body">
        <ul class="series-list">
          ${(series ?? []).map((s) => {
            const uid = first(s, TAGS.SeriesInstanceUID);
            return html`<li class=${uid === selected ? 'selected' : ''} data-series=${uid}>
              <button class="series" onClick=${() => setSelected(uid)}>
                <${AuthImage} src=${`${base}/series/${uid}/thumbnail`} alt="" />
                <span>
                  <b>${text(s, TAGS.Modality)} ${first(s, TAGS.SeriesNumber) ?? ''}</b>
                  ${text(s, TAGS.SeriesDescription)}
                  <small>${first(s, TAGS.NumberOfSeriesRelatedInstances) ?? '?'} instances</small>
                </span>
              </button>
              ${
                ctx.can('delete') &&
                html`<button
                  class="danger small"
                  data-action="delete-series"
                  title="Delete series"
                  onClick=${() =>
                    setConfirm({
                      title: 'Delete this series?',
                      body: 'Every instance of the series is deleted. This cannot be undone.',
                      run: () => remove(`${base}/series/${uid}`, 'series'),
                    })}
                >
                  ✕
                </button>`
              }
            </li>`;
          })}
        </ul>
        <div class="viewer-pane">
          ${
            selected &&
            html`<${StackViewer}
              key=${selected}
              ctx=${ctx}
              study=${study}
              series=${selected}
              onShow=${setShown}
            />`
          }
        </div>
      </div>
      ${shown && html`<${TagTable} key=${shown} url=${shown} />`}
      ${confirm && html`<${Confirm} ...${confirm} onClose=${() => setConfirm(null)} />`}
    </section>
  `;
}
