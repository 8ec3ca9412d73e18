/**
 * Upload: files or whole folders, dropped or chosen, each sent as its own STOW-RS request
 * (PS3.18 10.5, multipart/related; type="application/dicom") so every file has its own
 * progress (XMLHttpRequest upload events; fetch has none for request bodies) and its own result
 * from the response's ReferencedSOPSequence / FailedSOPSequence. Three files go at once.
 */
import { useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { authorization } from './session.js';
import { TAGS, first, reasonText, studyOfUrl } from './dicom.js';

const PARALLEL = 3;
/**
 * A folder of thousands of files: every progress event re-renders the list, so beyond this many
 * rows the files stored without remark are left out (the summary still counts them).
 */
const MAX_ROWS = 300;

/** Every file under a dropped entry (File and Directory Entries API), folders recursively. */
async function filesOf(entry, path = '') {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return [{ file, name: path + entry.name }];
  }
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const out = [];
  // readEntries answers in batches (Chromium: 100 at a time) until an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) out.push(...(await filesOf(child, `${path}${entry.name}/`)));
  }
  return out;
}

/** The result of one file's STOW response. */
export function resultOf(status, body) {
  const failed = body?.[TAGS.FailedSOPSequence]?.Value ?? [];
  const stored = body?.[TAGS.ReferencedSOPSequence]?.Value ?? [];
  if (failed.length > 0) {
    const reasons = failed.map((item) => reasonText(first(item, TAGS.FailureReason)));
    return { state: 'failed', detail: reasons.join('; ') };
  }
  if (stored.length > 0) {
    const warnings = stored
      .map((item) => first(item, TAGS.WarningReason))
      .filter((w) => w !== undefined);
    return {
      state: warnings.length ? 'warning' : 'stored',
      detail: warnings.length
        ? `stored with warning ${warnings.map(reasonText).join('; ')}`
        : 'stored',
      study:
        studyOfUrl(first(stored[0], TAGS.RetrieveURL)) ?? studyOfUrl(first(body, TAGS.RetrieveURL)),
    };
  }
  return { state: 'failed', detail: body?.detail ?? body?.title ?? `HTTP ${status}` };
}

function send(root, item, auth, onProgress) {
  return new Promise((resolve) => {
    const boundary = `strata-${crypto.randomUUID()}`;
    const body = new Blob([
      `--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`,
      item.file,
      `\r\n--${boundary}--\r\n`,
    ]);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${root}/studies`);
    xhr.setRequestHeader(
      'Content-Type',
      `multipart/related; type="application/dicom"; boundary=${boundary}`,
    );
    xhr.setRequestHeader('Accept', 'application/dicom+json');
    if (auth) xhr.setRequestHeader('Authorization', auth);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let parsed = null;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // not JSON
      }
      resolve(resultOf(xhr.status, parsed));
    };
    xhr.onerror = () => resolve({ state: 'failed', detail: 'network error' });
    xhr.send(body);
  });
}

export function Upload({ ctx }) {
  const [items, setItems] = useState([]);
  const [over, setOver] = useState(false);
  const queue = useRef([]);
  const running = useRef(0);

  const update = (id, patch) =>
    setItems((list) => list.map((it) => (it.id === id ? { ...it, ...patch } : it)));

  function pump() {
    while (running.current < PARALLEL && queue.current.length > 0) {
      const item = queue.current.shift();
      running.current++;
      update(item.id, { state: 'uploading', progress: 0 });
      authorization()
        .then((auth) => send(ctx.root, item, auth, (p) => update(item.id, { progress: p })))
        .then((result) => update(item.id, { ...result, progress: 1 }))
        .finally(() => {
          running.current--;
          pump();
        });
    }
  }

  function add(files) {
    const added = files.map((f, i) => ({
      ...f,
      id: `${Date.now()}-${i}-${Math.random()}`,
      state: 'queued',
      progress: 0,
      detail: '',
    }));
    setItems((list) => [...list, ...added]);
    queue.current.push(...added);
    pump();
  }

  async function drop(e) {
    e.preventDefault();
    setOver(false);
    const entries = [...(e.dataTransfer?.items ?? [])]
      .map((item) => item.webkitGetAsEntry?.())
      .filter(Boolean);
    if (entries.length > 0) {
      const files = [];
      for (const entry of entries) files.push(...(await filesOf(entry)));
      add(files);
    } else {
      add([...(e.dataTransfer?.files ?? [])].map((file) => ({ file, name: file.name })));
    }
  }

  const chosen = (e) => {
    add(
      [...e.currentTarget.files].map((file) => ({
        file,
        name: file.webkitRelativePath || file.name,
      })),
    );
    e.currentTarget.value = '';
  };

  const count = (state) => items.filter((i) => i.state === state).length;
  const summary = [
    `${count('stored')} stored`,
    `${count('warning')} with warnings`,
    `${count('failed')} failed`,
    `${count('queued') + count('uploading')} to go`,
  ].join(' · ');
  const studies = [...new Set(items.map((i) => i.study).filter(Boolean))];
  const rows =
    items.length > MAX_ROWS ? items.filter((i) => i.state !== 'stored').slice(0, MAX_ROWS) : items;
  const hidden = items.length - rows.length;
  return html`<section class="upload">
    <div
      class=${`dropzone ${over ? 'over' : ''}`}
      onDragOver=${(e) => (e.preventDefault(), setOver(true))}
      onDragLeave=${() => setOver(false)}
      onDrop=${drop}
    >
      <p>Drop DICOM files or folders here</p>
      <label class="button"
        >Choose files <input type="file" multiple hidden onChange=${chosen} data-input="files"
      /></label>
      <label class="button"
        >Choose a folder
        <input type="file" webkitdirectory hidden onChange=${chosen} data-input="folder"
      /></label>
    </div>
    ${
      items.length > 0 &&
      html`<p class="summary">
        ${summary}
        ${studies.map((s) => html` · <a href=${`#/study/${s}`}>open study</a>`)}
        <button
          class="link"
          onClick=${() => setItems((l) => l.filter((i) => i.state === 'queued' || i.state === 'uploading'))}
        >
          clear finished
        </button>
      </p>`
    }
    ${hidden > 0 && html`<p class="empty">${`${hidden} files not listed (stored, or waiting beyond the first ${MAX_ROWS}).`}</p>`}
    <table class="uploads">
      <tbody>
        ${rows.map(
          (it) =>
            html`<tr class=${`upload-${it.state}`} data-file=${it.name}>
              <td>${it.name}</td>
              <td>${(it.file.size / 1024).toFixed(0)} KB</td>
              <td><progress max="1" value=${it.progress}></progress></td>
              <td class="result">
                ${it.state === 'uploading' ? `${Math.round(it.progress * 100)} %` : it.detail || it.state}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
