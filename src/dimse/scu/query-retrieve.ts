/**
 * Query/Retrieve as an SCU against a remote PACS (`strata pull`): C-FIND at STUDY level in the
 * Study Root model (PS3.4 C.4.1), then C-MOVE of each study to Strata's own AE (C.4.2), whose
 * listener receives the C-STORE sub-operations through the one ingest (dimse/scp/store.ts).
 * C-MOVE rather than C-GET: every PACS supports it, and the instances arrive as the bytes the
 * remote sends, streamed into the ingest (this library's C-GET SCU would hand us each instance
 * parsed and re-encoded).
 */
import { dimse } from './dimse-lib.js';
import type { AssociationOptions } from './store-association.js';

const { Client } = dimse;
const { CFindRequest, CMoveRequest } = dimse.requests;
const PENDING = new Set([0xff00, 0xff01]);

export interface RemoteStudy {
  studyInstanceUid: string;
  /** (0020,1208) when the remote returns it. */
  instances: number | undefined;
}

export interface MoveOutcome {
  status: number | undefined;
  completed: number;
  failed: number;
  warnings: number;
  /** Why no final status came (association refused, network error). */
  error?: string | undefined;
}

type Options = Omit<AssociationOptions, 'onResponse'>;

/** The parts of a C-FIND / C-MOVE response read here. */
interface QueryResponse {
  getStatus(): number;
  hasDataset(): boolean;
  getDataset(): { getElements(): Record<string, unknown> } | undefined;
}
interface MoveResponse {
  getStatus(): number;
  getCompleted(): number | undefined;
  getFailures(): number | undefined;
  getWarnings(): number | undefined;
}

function text(value: unknown): string {
  const v = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '';
}

/** C-FIND at STUDY level with the given keys; resolves with every match. */
export function findStudies(
  keys: Record<string, string>,
  options: Options,
): Promise<RemoteStudy[]> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const request = CFindRequest.createStudyFindRequest({
      StudyInstanceUID: '',
      NumberOfStudyRelatedInstances: '',
      ...keys,
    });
    const found: RemoteStudy[] = [];
    let final: number | undefined;
    let failure: string | undefined;
    request.on('response', (response: QueryResponse) => {
      const status = response.getStatus();
      if (PENDING.has(status) && response.hasDataset()) {
        const elements = response.getDataset()?.getElements() ?? {};
        const uid = text(elements['StudyInstanceUID']);
        const count = text(elements['NumberOfStudyRelatedInstances']);
        if (uid)
          found.push({
            studyInstanceUid: uid,
            instances: /^\d+$/.test(count) ? Number(count) : undefined,
          });
      } else if (!PENDING.has(status)) final = status;
    });
    client.addRequest(request);
    client.on('associationRejected', () => (failure = 'association rejected'));
    client.on('networkError', (e: Error) => (failure ??= `network error: ${e.message}`));
    client.on('closed', () => {
      if (final === 0) resolve(found);
      else reject(new Error(failure ?? `C-FIND ended with status ${final ?? 'none'}`));
    });
    send(client, options);
  });
}

/** C-MOVE of one study to `destinationAeTitle`; resolves with the final counts. */
export function moveStudy(
  studyInstanceUid: string,
  destinationAeTitle: string,
  options: Options,
): Promise<MoveOutcome> {
  return new Promise((resolve) => {
    const client = new Client();
    const request = CMoveRequest.createStudyMoveRequest(destinationAeTitle, studyInstanceUid);
    const outcome: MoveOutcome = { status: undefined, completed: 0, failed: 0, warnings: 0 };
    request.on('response', (response: MoveResponse) => {
      const status = response.getStatus();
      if (PENDING.has(status)) return;
      outcome.status = status;
      outcome.completed = Number(response.getCompleted() ?? 0);
      outcome.failed = Number(response.getFailures() ?? 0);
      outcome.warnings = Number(response.getWarnings() ?? 0);
    });
    client.addRequest(request);
    client.on('associationRejected', () => (outcome.error = 'association rejected'));
    client.on('networkError', (e: Error) => (outcome.error ??= `network error: ${e.message}`));
    client.on('closed', () => resolve(outcome));
    send(client, options);
  });
}

function send(client: InstanceType<typeof Client>, options: Options): void {
  client.send(
    options.remote.host,
    options.remote.port,
    options.callingAeTitle,
    options.remote.aeTitle,
    {
      connectTimeout: options.timeoutMs,
      associationTimeout: options.timeoutMs,
      // A move runs as long as its sub-operations: the remote is silent until it answers.
      pduTimeout: Math.max(options.timeoutMs, 600_000),
    },
  );
}
