/**
 * The stack viewer: one series' instances (and frames of multi-frame instances) as Retrieve
 * Rendered images (PS3.18 10.4.1.1.3), scrolled with the wheel, the arrow keys or the slider.
 * Window presets use the `window=center,width,function` parameter (PS3.18 8.3.5.1.4); "Default"
 * leaves the window to the server (the instance's own VOI LUT or window). Images are PNG so
 * what is shown is exactly what the server rendered; neighbours are fetched ahead.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { apiJson } from './session.js';
import { imageUrl } from './auth-image.js';
import { TAGS, first } from './dicom.js';

export const PRESETS = [
  { label: 'Default', window: null },
  { label: 'CT soft tissue', window: [40, 400] },
  { label: 'CT lung', window: [-600, 1500] },
  { label: 'CT bone', window: [300, 1500] },
  { label: 'CT brain', window: [40, 80] },
];
const CACHE_SIZE = 48;
const AHEAD = 3;

export function StackViewer({ ctx, study, series, onShow }) {
  const base = `${ctx.root}/studies/${study}/series/${series}`;
  const [images, setImages] = useState(null);
  const [index, setIndex] = useState(0);
  const [preset, setPreset] = useState(PRESETS[0]);
  const [custom, setCustom] = useState({ center: '', width: '' });
  const [shown, setShown] = useState({ url: '', error: '' });
  const cache = useRef(new Map());
  const frame = useRef(null);

  useEffect(() => {
    const q = new URLSearchParams();
    for (const f of ['InstanceNumber', 'NumberOfFrames', 'Rows']) q.append('includefield', f);
    apiJson(`${base}/instances?${q}`, { headers: { Accept: 'application/dicom+json' } })
      .then((rows) => {
        const sorted = (rows ?? []).sort(
          (a, b) =>
            Number(first(a, TAGS.InstanceNumber) ?? 0) - Number(first(b, TAGS.InstanceNumber) ?? 0),
        );
        const list = [];
        for (const row of sorted) {
          const uid = first(row, TAGS.SOPInstanceUID);
          const frames = Number(first(row, TAGS.NumberOfFrames) ?? 1);
          for (let f = 1; f <= Math.max(frames, 1); f++)
            list.push({ uid, frame: frames > 1 ? f : 0, frames });
        }
        setImages(list);
        setIndex(0);
      })
      .catch((e) => setShown({ url: '', error: e.message }));
    return () => {
      for (const url of cache.current.values())
        url.then(
          (u) => URL.revokeObjectURL(u),
          () => {},
        );
      cache.current.clear();
    };
  }, [base]);

  const windowParam = (() => {
    if (custom.center !== '' && custom.width !== '')
      return `${custom.center},${custom.width},linear`;
    return preset.window ? `${preset.window[0]},${preset.window[1]},linear` : '';
  })();

  const urlOf = (image) => {
    const instance = `${base}/instances/${image.uid}`;
    const path = image.frame
      ? `${instance}/frames/${image.frame}/rendered`
      : `${instance}/rendered`;
    return windowParam ? `${path}?window=${encodeURIComponent(windowParam)}` : path;
  };

  const load = (image) => {
    const url = urlOf(image);
    let entry = cache.current.get(url);
    if (!entry) {
      entry = imageUrl(url, 'image/png');
      cache.current.set(url, entry);
      entry.catch(() => cache.current.delete(url));
      while (cache.current.size > CACHE_SIZE) {
        const [oldest, blob] = cache.current.entries().next().value;
        cache.current.delete(oldest);
        blob.then(
          (u) => URL.revokeObjectURL(u),
          () => {},
        );
      }
    }
    return entry;
  };

  useEffect(() => {
    if (!images?.length) return;
    const image = images[index];
    let live = true;
    load(image).then(
      (url) => live && setShown({ url, error: '' }),
      (e) => live && setShown({ url: '', error: `not renderable here (${e.message})` }),
    );
    onShow?.(`${base}/instances/${image.uid}/metadata`);
    for (let d = 1; d <= AHEAD; d++) {
      if (images[index + d]) load(images[index + d]).catch(() => {});
      if (images[index - d]) load(images[index - d]).catch(() => {});
    }
    return () => {
      live = false;
    };
  }, [images, index, windowParam]);

  // The wheel scrolls the stack, not the page (a non-passive listener may preventDefault).
  useEffect(() => {
    const el = frame.current;
    if (!el) return;
    const wheel = (e) => {
      e.preventDefault();
      setIndex((i) => Math.min(Math.max(i + Math.sign(e.deltaY), 0), (images?.length ?? 1) - 1));
    };
    el.addEventListener('wheel', wheel, { passive: false });
    return () => el.removeEventListener('wheel', wheel);
  }, [images]);

  function key(e) {
    const step = {
      ArrowDown: 1,
      ArrowRight: 1,
      PageDown: 10,
      ArrowUp: -1,
      ArrowLeft: -1,
      PageUp: -10,
    }[e.key];
    if (step === undefined || !images) return;
    e.preventDefault();
    setIndex((i) => Math.min(Math.max(i + step, 0), images.length - 1));
  }

  if (!images) return html`<p class="loading">Loading series…</p>`;
  if (images.length === 0) return html`<p class="empty">No instances.</p>`;
  const image = images[index];
  const [center, width] = windowParam.split(',');
  const overlay = [
    `${index + 1} / ${images.length}`,
    image.frame ? `frame ${image.frame}/${image.frames}` : '',
    windowParam ? `W ${width} C ${center}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return html`<div class="viewer">
    <div class="viewer-tools">
      <span class="presets" role="group" aria-label="Window presets">
        ${PRESETS.map(
          (p) =>
            html`<button
              class=${p === preset && custom.center === '' ? 'active' : ''}
              data-preset=${p.label}
              onClick=${() => (setCustom({ center: '', width: '' }), setPreset(p))}
            >
              ${p.label}
            </button>`,
        )}
      </span>
      <form
        class="custom-window"
        onSubmit=${(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          setCustom({ center: String(form.get('center')), width: String(form.get('width')) });
        }}
      >
        <label>C <input name="center" type="number" size="6" required /></label>
        <label>W <input name="width" type="number" min="1" size="6" required /></label>
        <button type="submit">Apply</button>
      </form>
    </div>
    <div
      class="stack-frame"
      ref=${frame}
      tabindex="0"
      onKeyDown=${key}
      aria-label="Image stack: wheel or arrow keys to scroll"
    >
      ${shown.url && html`<img class="stack" src=${shown.url} alt="rendered image" data-index=${index} />`}
      ${shown.error && html`<p class="error">${shown.error}</p>`}
      <span class="overlay">${overlay}</span>
    </div>
    <input
      type="range"
      class="stack-slider"
      min="0"
      max=${images.length - 1}
      value=${index}
      onInput=${(e) => setIndex(Number(e.currentTarget.value))}
      aria-label="Image"
    />
  </div>`;
}
