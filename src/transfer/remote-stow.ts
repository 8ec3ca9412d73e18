/**
 * `strata import --url`: another Strata (or any DICOMweb server) as the target. Per batch:
 *
 * 1. QIDO-RS `GET {url}/instances?SOPInstanceUID=a,b,…` (PS3.18 8.3.4.1 UID list) finds which
 *    instances the server has already: those are not sent again and count as duplicates. The
 *    server does not publish its hashes, so this compares identity (SOP Instance UID), not
 *    bytes: a file changed since it was stored is skipped too (import to the local
 *    configuration compares bytes). Credentials that may not search (an `uploader` key: 401/403)
 *    skip the check, and the server's STOW answer decides (an identical copy is answered as
 *    stored).
 * 2. STOW-RS `POST {url}/studies` with the batch as one multipart/related body (PS3.18 10.5),
 *    streamed file by file, never whole in memory; the response's ReferencedSOPSequence and
 *    FailedSOPSequence (PS3.18 Table I.1-1) give each file's result.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ImportTarget, ProbedFile } from './run-import.js';
import { failureText } from './reasons.js';
import type { FileResult } from './tally.js';

export interface RemoteOptions {
  /** The DICOMweb root, e.g. https://host/dicom-web. */
  url: string;
  token?: string | undefined;
  batch?: { files: number; bytes: number };
}

type Json = Record<string, { Value?: unknown[] } | undefined>;

/** The first value of an element as a string ('' when absent or not a string or number). */
function first(dataset: Json, tag: string): string {
  const value = dataset[tag]?.Value?.[0];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

export class RemoteStowTarget implements ImportTarget {
  readonly batch: { files: number; bytes: number };
  private canSearch = true;

  constructor(private readonly options: RemoteOptions) {
    this.batch = options.batch ?? { files: 20, bytes: 50 * 1024 * 1024 };
  }

  async store(files: ProbedFile[]): Promise<FileResult[]> {
    const present = await this.present(files);
    const results: (FileResult | undefined)[] = files.map((f) =>
      f.probe.kind === 'dicom' && present.has(f.probe.sopInstanceUid)
        ? { status: 'duplicate' }
        : undefined,
    );
    const toSend = files.filter((_, i) => results[i] === undefined);
    if (toSend.length > 0) {
      const sent = await this.send(toSend);
      let j = 0;
      for (let i = 0; i < results.length; i++) if (results[i] === undefined) results[i] = sent[j++];
    }
    return results.map((r) => r ?? { status: 'refused', reason: 'no answer' });
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
      ...extra,
    };
  }

  /** SOP Instance UIDs of `files` the server has already (empty when it may not be asked). */
  private async present(files: ProbedFile[]): Promise<Set<string>> {
    const uids = files.flatMap((f) => (f.probe.kind === 'dicom' ? [f.probe.sopInstanceUid] : []));
    if (!this.canSearch || uids.length === 0) return new Set();
    const query = new URLSearchParams({
      SOPInstanceUID: uids.join(','),
      includefield: '00080018',
      limit: String(uids.length),
    });
    const response = await fetch(`${this.options.url}/instances?${query.toString()}`, {
      headers: this.headers({ accept: 'application/dicom+json' }),
    });
    if (response.status === 401 || response.status === 403) {
      await response.arrayBuffer();
      this.canSearch = false;
      return new Set();
    }
    if (response.status === 204) return new Set();
    if (!response.ok) throw new RemoteError(`search answered ${response.status}`, response);
    const datasets = (await response.json()) as Json[];
    return new Set(datasets.map((d) => first(d, '00080018')));
  }

  private async send(files: ProbedFile[]): Promise<FileResult[]> {
    const boundary = `strata-${randomBytes(12).toString('hex')}`;
    const body = Readable.from(multipart(files, boundary));
    const response = await fetch(`${this.options.url}/studies`, {
      method: 'POST',
      headers: this.headers({
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        accept: 'application/dicom+json',
      }),
      body: Readable.toWeb(body),
      duplex: 'half',
    });
    if (![200, 202, 409].includes(response.status)) {
      // The whole request was refused (credentials, size, server busy): every file says why.
      const reason = `server answered ${response.status} ${await problemTitle(response)}`.trim();
      if (response.status === 401 || response.status === 503)
        throw new RemoteError(reason, response);
      return files.map(() => ({ status: 'refused', reason }));
    }
    const answer = (await response.json()) as Json;
    const outcome = new Map<string, FileResult>();
    for (const item of (answer['00081199']?.Value ?? []) as Json[]) {
      outcome.set(first(item, '00081155'), { status: 'stored' });
    }
    for (const item of (answer['00081198']?.Value ?? []) as Json[]) {
      const code = Number(item['00081197']?.Value?.[0] ?? 0x0110);
      const uid = first(item, '00081155');
      if (uid !== '') outcome.set(uid, { status: 'refused', reason: failureText(code) });
    }
    return files.map((f) =>
      f.probe.kind === 'dicom'
        ? (outcome.get(f.probe.sopInstanceUid) ?? {
            status: 'refused',
            reason: 'not in the answer',
          })
        : // Parts the server could not identify carry no UID: their order is the request's.
          { status: 'refused', reason: failureText(0xc000) },
    );
  }
}

/** A request-level failure the run cannot go on after (credentials refused, server down). */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    message: string,
    readonly response: Response,
  ) {
    super(message);
  }
}

async function* multipart(files: ProbedFile[], boundary: string): AsyncGenerator<Buffer> {
  for (const { file } of files) {
    yield Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
    for await (const chunk of await file.open()) yield chunk as Buffer;
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}

async function problemTitle(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string };
    return problem.detail ?? problem.title ?? '';
  } catch {
    return '';
  }
}
