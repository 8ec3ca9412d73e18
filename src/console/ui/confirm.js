/** A confirmation dialog (<dialog>, modal): the action runs only on an explicit yes. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';

export function Confirm({ title, body, run, onClose, action = 'Delete' }) {
  const ref = useRef(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => ref.current?.showModal(), []);
  async function yes() {
    setBusy(true);
    try {
      await run();
      onClose();
    } catch (e) {
      setError(e.message);
      setBusy(false);
    }
  }
  return html`<dialog ref=${ref} class="confirm" onClose=${onClose} aria-label=${title}>
    <h3>${title}</h3>
    <p>${body}</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <div class="actions">
      <button class="secondary" onClick=${onClose} disabled=${busy}>Cancel</button>
      <button class="danger" data-action="confirm" onClick=${yes} disabled=${busy}>
        ${action}
      </button>
    </div>
  </dialog>`;
}
