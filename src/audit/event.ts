/**
 * An audit event as the code raises it (DICOM PS3.15 A.5, IHE ATNA), before it is
 * pseudonymised, chained and stored (audit/trail.ts). Identifiers here are real; the stored
 * record holds only their keyed hashes.
 */

/** Event ID codes (DCM, PS3.16 CID 400) by the name the code uses. */
export const AUDIT_EVENT_IDS = {
  'application-activity': '110100',
  'instances-accessed': '110103',
  'instances-transferred': '110104',
  'study-deleted': '110105',
  export: '110106',
  import: '110107',
  query: '110112',
  'security-alert': '110113',
  'user-authentication': '110114',
} as const;
export type AuditEventType = keyof typeof AUDIT_EVENT_IDS;

/** EventTypeCode (DCM, PS3.16 CID 401/403/404) refining some events. */
export const AUDIT_EVENT_TYPE_CODES = {
  'application-start': '110120',
  'application-stop': '110121',
  login: '110122',
  logout: '110123',
  'node-authentication': '110126',
  'emergency-override': '110127',
  'network-configuration': '110128',
  'security-configuration': '110129',
  'hardware-configuration': '110130',
  'software-configuration': '110131',
  'use-of-restricted-function': '110132',
  'audit-recording-stopped': '110133',
  'audit-recording-started': '110134',
  'object-security-attributes-changed': '110135',
  'security-roles-changed': '110136',
  'user-security-attributes-changed': '110137',
} as const;
export type AuditEventTypeCode = keyof typeof AUDIT_EVENT_TYPE_CODES;

/** EventActionCode: Create, Read, Update, Delete, Execute. */
export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

/** EventOutcomeIndicator: success, minor failure, serious failure, major failure. */
export type AuditOutcome = 0 | 4 | 8 | 12;

export interface AuditUser {
  /** OIDC `sub`, API key name, account name, `anonymous`, or `strata` for the system itself. */
  id: string;
  /** auth/principal.ts AuthMethod, or `system`. */
  method: string;
  roles: readonly string[];
}

export interface AuditEvent {
  type: AuditEventType;
  action: AuditAction;
  outcome: AuditOutcome;
  /** When it happened; the trail stamps `now` when absent. */
  at?: Date;
  subtype?: AuditEventTypeCode;
  /** Undefined for the application's own events (start, stop, background verify). */
  user?: AuditUser;
  /** The client's address (after trusted proxies), the request id (X-Request-Id). */
  clientAddress?: string;
  requestId?: string;
  /**
   * The one patient this record is about (one record per patient per request) and the studies
   * of theirs involved. Pseudonymised before it is stored.
   */
  patient?: { patientId: string; studyUids: readonly string[] };
  /** QIDO: the query string as received; values of patient attributes are pseudonymised. */
  query?: string;
  /**
   * Anything else worth keeping that is not PHI: route template, instance counts, failure
   * reason codes, the alert's kind. Never UIDs or patient values.
   */
  detail?: Readonly<Record<string, string | number | boolean>>;
}

/** Where events go. `record` resolves once the event is durable; a failure must fail the request. */
export interface AuditSink {
  record(event: AuditEvent): Promise<void>;
}
