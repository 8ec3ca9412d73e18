/**
 * An <img> of an authenticated URL: fetched with the bearer token, shown through a blob: URL
 * (an <img src> cannot send Authorization), released when no longer shown.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './session.js';

/** Fetches an image as a blob: URL; the caller revokes it. */
export async function imageUrl(url, accept = 'image/jpeg', signal) {
  const response = await api(url, { headers: { Accept: accept }, signal });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return URL.createObjectURL(await response.blob());
}

export function AuthImage({ src, alt, accept, className }) {
  const [url, setUrl] = useState('');
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const abort = new AbortController();
    let made = '';
    setFailed(false);
    imageUrl(src, accept, abort.signal).then(
      (u) => {
        made = u;
        setUrl(u);
      },
      () => !abort.signal.aborted && setFailed(true),
    );
    return () => {
      abort.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [src]);
  if (failed) return html`<span class=${`thumb none ${className ?? ''}`} title="no image">—</span>`;
  if (!url) return html`<span class=${`thumb pending ${className ?? ''}`}></span>`;
  return html`<img class=${`thumb ${className ?? ''}`} src=${url} alt=${alt ?? ''} />`;
}
