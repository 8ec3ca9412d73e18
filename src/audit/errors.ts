import { ProjectError } from '../lib/errors.js';

/** An audit record could not be written durably; the request it records must not be served. */
export class AuditUnavailableError extends ProjectError {
  override readonly name = 'AuditUnavailableError';
  readonly code = 'audit.unavailable';
  /** As index.unavailable: the index is what stores the trail. */
  readonly retryAfterSeconds = 5;
  constructor(options?: ErrorOptions) {
    super('the audit trail cannot be written; the request was not served', options);
  }
}
