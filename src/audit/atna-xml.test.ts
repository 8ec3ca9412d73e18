import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { AuditLogRow } from '../index/audit-export.repository.js';
import { escapeXml, toAtnaXml } from './atna-xml.js';

const options = { siteId: 'hospital-a', hostname: 'pacs-1', processId: 4242 };

const repeated = new Set([
  'ActiveParticipant',
  'RoleIDCode',
  'EventTypeCode',
  'ParticipantObjectIdentification',
  'ParticipantObjectDetail',
]);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseAttributeValue: false,
  parseTagValue: false,
  htmlEntities: true,
  isArray: (name) => repeated.has(name),
});

type Node = Record<string, unknown>;
interface Message {
  EventIdentification: Node & { EventID: Node; EventTypeCode?: Node[] };
  ActiveParticipant: (Node & { RoleIDCode?: Node[] })[];
  AuditSourceIdentification: Node & { AuditSourceTypeCode: Node };
  ParticipantObjectIdentification?: (Node & {
    ParticipantObjectIDTypeCode: Node;
    ParticipantObjectQuery?: string;
    ParticipantObjectDetail?: Node[];
  })[];
}

function parse(xml: string): Message {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = parser.parse(xml) as { AuditMessage: Message };
  return doc.AuditMessage;
}

function row(overrides: Partial<AuditLogRow> = {}): AuditLogRow {
  return {
    seq: 7,
    at: new Date('2026-12-04T10:11:12.345Z'),
    eventId: '110112',
    eventType: null,
    action: 'E',
    outcome: 0,
    userId: 'alice',
    userMethod: 'oidc',
    userRoles: ['reader', 'writer'],
    clientAddress: '192.0.2.10',
    requestId: 'req-1',
    patientRef: 'p'.repeat(64),
    studyRefs: ['s1'.repeat(32), 's2'.repeat(32)],
    query: 'PatientID=ph_abc&StudyDate=20240101-',
    detail: { route: '/studies' },
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
    ...overrides,
  };
}

const coded = (code: string, system: string, text: string) => ({
  '@csd-code': code,
  '@codeSystemName': system,
  '@originalText': text,
});

describe('toAtnaXml', () => {
  it('#12: a query record becomes a PS3.15 A.5.1 message, field by field', () => {
    const message = parse(toAtnaXml(row(), options));

    expect(message.EventIdentification).toEqual({
      '@EventActionCode': 'E',
      '@EventDateTime': '2026-12-04T10:11:12.345Z',
      '@EventOutcomeIndicator': '0',
      EventID: coded('110112', 'DCM', 'Query'),
    });

    const [user, strata] = message.ActiveParticipant;
    expect(message.ActiveParticipant).toHaveLength(2);
    expect(user).toEqual({
      '@UserID': 'alice',
      '@UserIsRequestor': 'true',
      '@NetworkAccessPointID': '192.0.2.10',
      '@NetworkAccessPointTypeCode': '2',
      RoleIDCode: [
        coded('110153', 'DCM', 'Source Role ID'),
        coded('reader', '99STRATA', 'reader'),
        coded('writer', '99STRATA', 'writer'),
      ],
    });
    expect(strata).toEqual({
      '@UserID': 'strata',
      '@AlternativeUserID': '4242',
      '@UserIsRequestor': 'false',
      '@NetworkAccessPointID': 'pacs-1',
      '@NetworkAccessPointTypeCode': '1',
      RoleIDCode: [coded('110152', 'DCM', 'Destination Role ID')],
    });

    expect(message.AuditSourceIdentification).toEqual({
      '@AuditEnterpriseSiteID': 'hospital-a',
      '@AuditSourceID': 'hospital-a',
      AuditSourceTypeCode: coded('4', 'DCM', 'Application Server Process'),
    });

    const [patient, study1, study2, query] = message.ParticipantObjectIdentification!;
    expect(message.ParticipantObjectIdentification).toHaveLength(4);
    expect(patient).toEqual({
      '@ParticipantObjectID': 'p'.repeat(64),
      '@ParticipantObjectTypeCode': '1',
      '@ParticipantObjectTypeCodeRole': '1',
      ParticipantObjectIDTypeCode: coded('2', 'RFC-3881', 'Patient Number'),
    });
    for (const [object, id] of [
      [study1, 's1'.repeat(32)],
      [study2, 's2'.repeat(32)],
    ] as const) {
      expect(object).toEqual({
        '@ParticipantObjectID': id,
        '@ParticipantObjectTypeCode': '2',
        '@ParticipantObjectTypeCodeRole': '3',
        ParticipantObjectIDTypeCode: coded('110180', 'DCM', 'Study Instance UID'),
      });
    }
    expect(query).toEqual({
      '@ParticipantObjectID': '1.2.840.10008.5.1.4.1.2.2.1',
      '@ParticipantObjectTypeCode': '2',
      '@ParticipantObjectTypeCodeRole': '24',
      ParticipantObjectIDTypeCode: coded('110181', 'DCM', 'SOP Class UID'),
      ParticipantObjectQuery: Buffer.from('PatientID=ph_abc&StudyDate=20240101-').toString(
        'base64',
      ),
      ParticipantObjectDetail: [{ '@type': 'QueryEncoding', '@value': 'VVRGLTg=' }],
    });
  });

  it('keeps the schema order of AuditMessage children', () => {
    const xml = toAtnaXml(row(), options);
    const order = [...xml.matchAll(/<(\w+)[ >/]/g)]
      .map((m) => m[1])
      .filter((n) => n !== 'AuditMessage');
    const top = order.filter((n) =>
      [
        'EventIdentification',
        'ActiveParticipant',
        'AuditSourceIdentification',
        'ParticipantObjectIdentification',
      ].includes(n!),
    );
    expect(top).toEqual([
      'EventIdentification',
      'ActiveParticipant',
      'ActiveParticipant',
      'AuditSourceIdentification',
      'ParticipantObjectIdentification',
      'ParticipantObjectIdentification',
      'ParticipantObjectIdentification',
      'ParticipantObjectIdentification',
    ]);
  });

  it('an event type, a failure and the event names event.ts uses', () => {
    const message = parse(
      toAtnaXml(
        row({
          eventId: 'user-authentication',
          eventType: 'login',
          outcome: 4,
          patientRef: null,
          studyRefs: null,
          query: null,
          userRoles: null,
          detail: { reason: 'auth.invalid_token', attempts: 3 },
        }),
        options,
      ),
    );
    expect(message.EventIdentification).toEqual({
      '@EventActionCode': 'E',
      '@EventDateTime': '2026-12-04T10:11:12.345Z',
      '@EventOutcomeIndicator': '4',
      EventID: coded('110114', 'DCM', 'User Authentication'),
      EventTypeCode: [coded('110122', 'DCM', 'Login')],
      EventOutcomeDescription: 'reason=auth.invalid_token attempts=3',
    });
    expect(message.ActiveParticipant[0]).not.toHaveProperty('RoleIDCode');
    expect(message.ActiveParticipant[1]!.RoleIDCode).toEqual([
      coded('110150', 'DCM', 'Application'),
    ]);
    expect(message).not.toHaveProperty('ParticipantObjectIdentification');
  });

  it("the application's own events name Strata as the requestor", () => {
    const message = parse(
      toAtnaXml(
        row({
          eventId: '110100',
          eventType: '110120',
          userId: null,
          userRoles: null,
          clientAddress: null,
          patientRef: null,
          studyRefs: null,
          query: null,
        }),
        options,
      ),
    );
    expect(message.EventIdentification.EventTypeCode).toEqual([
      coded('110120', 'DCM', 'Application Start'),
    ]);
    expect(message.ActiveParticipant).toHaveLength(1);
    expect(message.ActiveParticipant[0]).toMatchObject({
      '@UserID': 'strata',
      '@UserIsRequestor': 'true',
    });
  });

  it('escapes every value: markup, quotes and control characters cannot break the message', () => {
    const hostile = 'a"b\'c<d>e&f\ng\u0001h\uD800';
    const message = parse(
      toAtnaXml(
        row({
          userId: hostile,
          userRoles: ['</RoleIDCode><Injected/>'],
          clientAddress: '"><x y="',
          patientRef: hostile,
          studyRefs: ['<s>'],
        }),
        { ...options, siteId: '&site;' },
      ),
    );
    const [user] = message.ActiveParticipant;
    expect(user!['@UserID']).toBe('a"b\'c<d>e&f\ng\uFFFDh\uFFFD');
    expect(user!['@NetworkAccessPointID']).toBe('"><x y="');
    expect(user!.RoleIDCode![1]).toEqual(
      coded('</RoleIDCode><Injected/>', '99STRATA', '</RoleIDCode><Injected/>'),
    );
    expect(message.AuditSourceIdentification['@AuditSourceID']).toBe('&site;');
    expect(message.ParticipantObjectIdentification![0]!['@ParticipantObjectID']).toBe(
      'a"b\'c<d>e&f\ng\uFFFDh\uFFFD',
    );
    expect(message.ParticipantObjectIdentification![1]!['@ParticipantObjectID']).toBe('<s>');
  });

  it('escapeXml keeps surrogate pairs and plain text as they are', () => {
    expect(escapeXml('Zoë 😀 plain')).toBe('Zoë 😀 plain');
    expect(escapeXml('\t\r')).toBe('&#9;&#13;');
  });
});
