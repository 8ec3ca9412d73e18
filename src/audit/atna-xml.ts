import type { AuditLogRow } from '../index/audit-export.repository.js';
import { AUDIT_EVENT_IDS, AUDIT_EVENT_TYPE_CODES } from './event.js';

/**
 * One stored audit record → the DICOM audit message (PS3.15 A.5.1, the schema that replaced
 * RFC 3881's), as sent to an ATNA audit record repository. Element order follows the schema's
 * sequences: EventIdentification, ActiveParticipant+, AuditSourceIdentification,
 * ParticipantObjectIdentification*. Coded values carry `csd-code`, `codeSystemName` and
 * `originalText` (PS3.15 A.5.1, CodedValueType, CP-1638).
 *
 * Patient and study identifiers in the record are already keyed hashes (audit/pseudonym.ts);
 * they go out as they are, so the repository receives pseudonyms, never a Patient ID or UID.
 */

export interface AtnaOptions {
  /** AuditSourceID and AuditEnterpriseSiteID (AUDIT_SITE_ID). */
  siteId: string;
  /** This machine, as Strata's own ActiveParticipant's NetworkAccessPointID. */
  hostname: string;
  /** This process, as Strata's own AlternativeUserID. */
  processId: number;
}

interface Coded {
  code: string;
  system: string;
  text: string;
}

/** PS3.16 CID 400 (Audit Event ID), code meanings. */
const EVENT_ID_MEANINGS: Record<string, string> = {
  '110100': 'Application Activity',
  '110103': 'DICOM Instances Accessed',
  '110104': 'DICOM Instances Transferred',
  '110105': 'DICOM Study Deleted',
  '110106': 'Export',
  '110107': 'Import',
  '110112': 'Query',
  '110113': 'Security Alert',
  '110114': 'User Authentication',
};

/** PS3.16 CID 401, 403, 404 (Audit Event Type Codes), code meanings. */
const EVENT_TYPE_MEANINGS: Record<string, string> = {
  '110120': 'Application Start',
  '110121': 'Application Stop',
  '110122': 'Login',
  '110123': 'Logout',
  '110126': 'Node Authentication',
  '110127': 'Emergency Override Started',
  '110128': 'Network Configuration',
  '110129': 'Security Configuration',
  '110130': 'Hardware Configuration',
  '110131': 'Software Configuration',
  '110132': 'Use of Restricted Function',
  '110133': 'Audit Recording Stopped',
  '110134': 'Audit Recording Started',
  '110135': 'Object Security Attributes Changed',
  '110136': 'Security Roles Changed',
  '110137': 'User Security Attributes Changed',
};

const QUERY_EVENT = AUDIT_EVENT_IDS.query;

/** PS3.16 CID 402 (Audit Active Participant Role ID). */
const ROLE_APPLICATION: Coded = { code: '110150', system: 'DCM', text: 'Application' };
const ROLE_DESTINATION: Coded = { code: '110152', system: 'DCM', text: 'Destination Role ID' };
const ROLE_SOURCE: Coded = { code: '110153', system: 'DCM', text: 'Source Role ID' };

/** PS3.15 A.5.1.2 AuditSourceTypeCode 4: an application server process. */
const SOURCE_TYPE: Coded = { code: '4', system: 'DCM', text: 'Application Server Process' };

/** ParticipantObjectIDTypeCode: RFC 3881 §5.5.4 "Patient Number", PS3.16 CID 404. */
const ID_PATIENT: Coded = { code: '2', system: 'RFC-3881', text: 'Patient Number' };
const ID_STUDY: Coded = { code: '110180', system: 'DCM', text: 'Study Instance UID' };
const ID_SOP_CLASS: Coded = { code: '110181', system: 'DCM', text: 'SOP Class UID' };

/**
 * QIDO-RS is the web form of the Study Root C-FIND (PS3.18 10.6); PS3.15 A.5.3.10 names the
 * query by its SOP Class UID, and allows non-DICOM queries to fill these fields.
 */
const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

/** RFC 3881 §5.5.1 ParticipantObjectTypeCode and §5.5.2 ParticipantObjectTypeCodeRole. */
const OBJECT_PERSON = '1';
const OBJECT_SYSTEM = '2';
const ROLE_PATIENT = '1';
const ROLE_REPORT = '3';
const ROLE_QUERY = '24';

/** RFC 3881 §5.3.3 NetworkAccessPointTypeCode: 1 machine name, 2 IP address. */
const ACCESS_POINT_NAME = '1';
const ACCESS_POINT_IP = '2';

/** Role names of ours are a local code system (PS3.16 8.2: local schemes start with 99). */
const LOCAL_ROLES = '99STRATA';

/** The event's code: the trail stores the DCM code, or the name event.ts gives it. */
function eventIdOf(value: string): Coded {
  const code = (AUDIT_EVENT_IDS as Record<string, string>)[value] ?? value;
  return { code, system: 'DCM', text: EVENT_ID_MEANINGS[code] ?? code };
}

function eventTypeOf(value: string): Coded {
  const code = (AUDIT_EVENT_TYPE_CODES as Record<string, string>)[value] ?? value;
  return { code, system: 'DCM', text: EVENT_TYPE_MEANINGS[code] ?? code };
}

export function toAtnaXml(row: AuditLogRow, options: AtnaOptions): string {
  const event = eventIdOf(row.eventId);
  const isQuery = event.code === QUERY_EVENT;
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', '<AuditMessage>'];

  parts.push(
    open('EventIdentification', {
      EventActionCode: row.action,
      EventDateTime: row.at.toISOString(),
      EventOutcomeIndicator: String(row.outcome),
    }),
    coded('EventID', event),
  );
  if (row.eventType) parts.push(coded('EventTypeCode', eventTypeOf(row.eventType)));
  const description = outcomeDescription(row);
  if (description) parts.push(element('EventOutcomeDescription', {}, description));
  parts.push('</EventIdentification>');

  if (row.userId) {
    const roles = (row.userRoles ?? []).map((role) => ({
      code: role,
      system: LOCAL_ROLES,
      text: role,
    }));
    parts.push(
      open('ActiveParticipant', {
        UserID: row.userId,
        UserIsRequestor: 'true',
        NetworkAccessPointID: row.clientAddress ?? undefined,
        NetworkAccessPointTypeCode: row.clientAddress ? ACCESS_POINT_IP : undefined,
      }),
      ...(isQuery ? [ROLE_SOURCE] : []).concat(roles).map((r) => coded('RoleIDCode', r)),
      '</ActiveParticipant>',
    );
  }
  parts.push(
    open('ActiveParticipant', {
      UserID: 'strata',
      AlternativeUserID: String(options.processId),
      // The application's own events (start, stop, background work) have no other requestor.
      UserIsRequestor: row.userId ? 'false' : 'true',
      NetworkAccessPointID: options.hostname,
      NetworkAccessPointTypeCode: ACCESS_POINT_NAME,
    }),
    coded('RoleIDCode', isQuery ? ROLE_DESTINATION : ROLE_APPLICATION),
    '</ActiveParticipant>',
  );

  parts.push(
    open('AuditSourceIdentification', {
      AuditEnterpriseSiteID: options.siteId,
      AuditSourceID: options.siteId,
    }),
    coded('AuditSourceTypeCode', SOURCE_TYPE),
    '</AuditSourceIdentification>',
  );

  if (row.patientRef) {
    parts.push(
      participantObject(row.patientRef, OBJECT_PERSON, ROLE_PATIENT, ID_PATIENT),
      '</ParticipantObjectIdentification>',
    );
  }
  for (const study of row.studyRefs ?? []) {
    parts.push(
      participantObject(study, OBJECT_SYSTEM, ROLE_REPORT, ID_STUDY),
      '</ParticipantObjectIdentification>',
    );
  }
  if (isQuery && row.query !== null) {
    parts.push(
      participantObject(STUDY_ROOT_FIND, OBJECT_SYSTEM, ROLE_QUERY, ID_SOP_CLASS),
      element('ParticipantObjectQuery', {}, Buffer.from(row.query, 'utf8').toString('base64')),
      // PS3.15 A.5.3.10: the query's character set, base64 like every detail value.
      selfClosing('ParticipantObjectDetail', {
        type: 'QueryEncoding',
        value: Buffer.from('UTF-8').toString('base64'),
      }),
      '</ParticipantObjectIdentification>',
    );
  }
  parts.push('</AuditMessage>');
  return parts.join('');
}

/**
 * Failures say why in EventOutcomeDescription: the record's detail (route, counts, reason
 * codes; never PHI by the trail's rule) as `key=value` pairs. Successes carry none.
 */
function outcomeDescription(row: AuditLogRow): string | undefined {
  if (row.outcome === 0 || row.detail === null || typeof row.detail !== 'object') return undefined;
  const pairs = Object.entries(row.detail as Record<string, unknown>)
    .filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))
    .map(([key, value]) => `${key}=${String(value as string | number | boolean)}`);
  return pairs.length > 0 ? pairs.join(' ') : undefined;
}

function participantObject(id: string, type: string, role: string, idType: Coded): string {
  return (
    open('ParticipantObjectIdentification', {
      ParticipantObjectID: id,
      ParticipantObjectTypeCode: type,
      ParticipantObjectTypeCodeRole: role,
    }) + coded('ParticipantObjectIDTypeCode', idType)
  );
}

function coded(name: string, value: Coded): string {
  return selfClosing(name, {
    'csd-code': value.code,
    codeSystemName: value.system,
    originalText: value.text,
  });
}

type Attributes = Record<string, string | undefined>;

function attributes(attrs: Attributes): string {
  return Object.entries(attrs)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(value)}"`)
    .join('');
}

const open = (name: string, attrs: Attributes): string => `<${name}${attributes(attrs)}>`;
const selfClosing = (name: string, attrs: Attributes): string => `<${name}${attributes(attrs)}/>`;
const element = (name: string, attrs: Attributes, text: string): string =>
  `${open(name, attrs)}${escapeXml(text)}</${name}>`;

/**
 * Escapes a value for element text and attribute values alike. Characters XML 1.0 cannot hold
 * at all (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/U+FFFF) become U+FFFD; tab, LF
 * and CR become character references so attribute-value normalisation keeps them.
 */
export function escapeXml(value: string): string {
  return value.replace(
    // eslint-disable-next-line no-control-regex
    /[&<>"'\t\n\r]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (c) => REPLACEMENTS[c] ?? '\uFFFD',
  );
}

const REPLACEMENTS: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
