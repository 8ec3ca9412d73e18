/**
 * An error's stable code (`storage.blob_not_found`, `index.unavailable`) as a label value, or
 * `other`. Only our codes' shape passes, so a foreign message or a key can never become a label.
 */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[a-z]+\.[a-z_]+$/.test(code) ? code : 'other';
}
