/**
 * The console's frame: settings, who is signed in and what they may do (GET /auth/whoami),
 * the navigation, and the page named by the location hash.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { apiJson, onSession, session, setSession } from './session.js';
import { finishOidc, isOidcCallback } from './oidc.js';
import { SignIn } from './signin.js';
import { StudyList } from './studies.js';
import { StudyView } from './study.js';
import { Upload } from './upload.js';
import { Admin } from './admin.js';
import { isUid } from './dicom.js';

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash.replace(/^#/, '') || '/';
}

export function App() {
  const [config, setConfig] = useState(null);
  const [me, setMe] = useState(null);
  const [error, setError] = useState('');
  const [current, setCurrent] = useState(session());
  const path = useHash();

  useEffect(() => onSession(setCurrent), []);
  useEffect(() => {
    (async () => {
      const settings = await (await fetch('/console/config.json')).json();
      if (isOidcCallback() && settings.oidc) {
        await finishOidc(settings.oidc).catch((e) => setError(e.message));
      }
      setConfig(settings);
    })().catch((e) => setError(`The console could not start: ${e.message}`));
  }, []);
  // Who am I: with the session's token, or without one (anonymous access, loopback mode).
  // Asked again on sign-in and sign-out only: a token refresh keeps the identity, and must not
  // reset the page (an upload in progress, the viewer's place).
  const identity = current ? current.via : 'none';
  useEffect(() => {
    if (!config) return;
    setMe(null);
    apiJson('/auth/whoami')
      .then((who) => {
        if (!current && who.actions.length > 0) setSession({ via: 'anonymous' });
        else setMe(who);
      })
      .catch(() => setMe({ authenticated: false, actions: [] }));
  }, [config, identity]);

  if (error && !config) return html`<p class="error">${error}</p>`;
  if (!config || !me) return html`<p class="loading">Loading…</p>`;
  if (!current || me.actions.length === 0) {
    return html`<${SignIn} config=${config} error=${error} />`;
  }
  const can = (action) => me.actions.includes(action);
  const ctx = { config, me, can, root: config.dicomwebRoot };
  return html`
    <header class="top">
      <span class="brand">Strata</span>
      <nav>
        ${can('read') && html`<a href="#/" class=${path === '/' ? 'active' : ''}>Studies</a>`}
        ${can('write') && html`<a href="#/upload" class=${path === '/upload' ? 'active' : ''}>Upload</a>`}
        ${
          can('admin') &&
          html`<a
            href="#/admin/storage"
            class=${path.startsWith('/admin') ? 'active' : ''}
            data-menu="admin"
            >Admin</a
          >`
        }
      </nav>
      <span class="who" title=${me.roles.join(', ')}>
        ${me.authenticated ? me.id : 'anonymous'}
        ${
          current.via !== 'anonymous' &&
          html`<button class="link" onClick=${() => setSession(null)}>Sign out</button>`
        }
      </span>
    </header>
    <main>
      ${page(path, ctx)}
      ${can('write') && html`<div class=${showsUpload(path, ctx) ? '' : 'hidden'}><${Upload} ctx=${ctx} /></div>`}
    </main>
  `;
}

/**
 * The upload page stays mounted (hidden elsewhere), so uploads in progress and their results
 * survive a look at the study list or a study.
 */
function showsUpload(path, ctx) {
  return ctx.can('write') && (path === '/upload' || !ctx.can('read'));
}

function page(path, ctx) {
  if (path.startsWith('/study/')) {
    const study = decodeURIComponent(path.split('/')[2] ?? '');
    // A UID is digits and dots (PS3.5 §9.1); anything else in a link must never become a path
    // (`../admin/…`) the console then calls with the user's token.
    if (!isUid(study)) return html`<p class="error">Not a Study Instance UID.</p>`;
    return html`<${StudyView} key=${study} ctx=${ctx} study=${study} />`;
  }
  if (showsUpload(path, ctx)) return null;
  if (path.startsWith('/admin') && ctx.can('admin')) {
    return html`<${Admin} ctx=${ctx} tab=${path.split('/')[2] ?? 'storage'} />`;
  }
  if (ctx.can('read')) return html`<${StudyList} ctx=${ctx} />`;
  return html`<p>Signed in, but your roles allow nothing this console shows.</p>`;
}
