import dimse from 'dcmjs-dimse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, type GeneratedInstance } from './helpers/make-dicom.js';
import { freePort } from './helpers/dimse-peers.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * #15 Storage Commitment Push Model SCP. dcmtk has no storage commitment SCU, so the requester
 * is dcmjs-dimse's Client (a real peer over TCP): it sends N-ACTION naming two stored instances
 * and one Strata never received, and receives the N-EVENT-REPORT — on the same association
 * while it stays open, or on a new association Strata opens to the requester's known AE
 * (a dcmjs-dimse Server in the test) once the first is released.
 */
const SC = '1.2.840.10008.1.20.1';
const SC_INSTANCE = '1.2.840.10008.1.20.1.1';
const ELE = '1.2.840.10008.1.2.1';

interface Report {
  eventTypeId: number;
  elements: Record<string, any>;
}

describe(`#15 Storage Commitment SCP (${testDb})`, () => {
  let server: TestServer;
  let stored: GeneratedInstance[];
  let requesterPort: number;

  beforeAll(async () => {
    requesterPort = await freePort();
    server = await startTestServer({
      DIMSE_PORT: '0',
      DIMSE_REMOTE_AES: `COMMITSCU@127.0.0.1:${requesterPort}`,
    });
    stored = [makeInstance(), makeInstance()];
    const answer = await stow(
      `${server.base}/studies`,
      stored.map((i) => ({ body: i.bytes })),
    );
    expect(answer.status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
  });

  const missing = { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3.4.5.6.7.8.9' };
  const references = () =>
    [...stored, missing].map((i) => ({
      ReferencedSOPClassUID: i.sopClassUid,
      ReferencedSOPInstanceUID: i.sopInstanceUid,
    }));

  /** Sends the N-ACTION; resolves with its status and the report if it came on this association. */
  function requestCommitment(linger: number, transactionUid: string, leave = false) {
    return new Promise<{ status: number | undefined; report: Report | undefined }>((resolve) => {
      const client = new dimse.Client();
      const request = new dimse.requests.NActionRequest(SC, SC_INSTANCE, 1);
      request.setDataset(
        new dimse.Dataset(
          { TransactionUID: transactionUid, ReferencedSOPSequence: references() },
          ELE,
        ),
      );
      let status: number | undefined;
      let report: Report | undefined;
      request.on('response', (r: any) => {
        status = r.getStatus();
        // Gone before any report can come on this association: Strata must open its own.
        if (leave) client.abort();
      });
      client.addRequest(request);
      client.on('nEventReportRequest', (event: any, callback: (r: unknown) => void) => {
        if (leave) return;
        report = {
          eventTypeId: event.getEventTypeId(),
          elements: event.getDataset().getElements(),
        };
        const response = dimse.responses.NEventReportResponse.fromRequest(event);
        response.setStatus(0);
        callback(response);
      });
      client.on('closed', () => resolve({ status, report }));
      client.send('127.0.0.1', server.dimse!.port, 'COMMITSCU', 'STRATA', {
        associationLingerTimeout: linger,
      });
    });
  }

  function expectReport(report: Report | undefined, transactionUid: string) {
    expect(report).toBeDefined();
    expect(report!.eventTypeId).toBe(2); // some failed
    expect(report!.elements['TransactionUID']).toBe(transactionUid);
    const committed = report!.elements['ReferencedSOPSequence'] as any[];
    expect(committed.map((r) => r.ReferencedSOPInstanceUID).sort()).toEqual(
      stored.map((i) => i.sopInstanceUid).sort(),
    );
    const failed = report!.elements['FailedSOPSequence'] as any[];
    expect(failed).toHaveLength(1);
    expect(failed[0].ReferencedSOPInstanceUID).toBe(missing.sopInstanceUid);
    expect(failed[0].FailureReason).toBe(0x0112);
  }

  it('reports on the same association while it is open: stored as committed, the rest 0112', async () => {
    const uid = dimse.Dataset.generateDerivedUid();
    const { status, report } = await requestCommitment(3000, uid);
    expect(status).toBe(0);
    expectReport(report, uid);
  });

  it('reports on a new association to the known AE once the requester has released', async () => {
    let received: Report | undefined;
    let listener: InstanceType<typeof dimse.Server> | undefined;
    const got = new Promise<void>((resolve) => {
      class Requester extends dimse.Scp {
        override associationRequested(association: any) {
          for (const { context } of association.getPresentationContexts()) {
            if (context.getAbstractSyntaxUid() === SC)
              context.setResult(dimse.constants.PresentationContextResult.Accept, ELE);
            else
              context.setResult(
                dimse.constants.PresentationContextResult.RejectAbstractSyntaxNotSupported,
              );
          }
          this.sendAssociationAccept();
        }
        override nEventReportRequest(event: any, callback: (r: any) => void) {
          received = {
            eventTypeId: event.getEventTypeId(),
            elements: event.getDataset().getElements(),
          };
          const response = dimse.responses.NEventReportResponse.fromRequest(event);
          response.setStatus(0);
          callback(response);
          resolve();
        }
        override associationReleaseRequested() {
          this.sendAssociationReleaseResponse();
        }
      }
      listener = new dimse.Server(Requester);
      listener.listen(requesterPort);
    });
    const uid = dimse.Dataset.generateDerivedUid();
    const { status, report } = await requestCommitment(0, uid, true);
    expect(status).toBe(0);
    expect(report).toBeUndefined();
    await got;
    setTimeout(() => listener?.close(), 500);
    expectReport(received, uid);
  });
});
