/**
 * Resumable uploads (tus 1.0.0 at /uploads) over real HTTP: create, send in chunks, cut the
 * connection mid-PATCH, resume from the offset HEAD reports, and find the completed upload stored
 * through STOW (retrievable by WADO with identical bytes, audited as the uploader). Also: a body
 * STOW refuses, a principal without write, an upload over UPLOAD_MAX_BYTES, expiry.
 */
import { connect } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { ApiKeys } from '../src/auth/api-keys.js';
import { DEFAULT_ROLES } from '../src/auth/roles.js';
import { createLogger } from '../src/lib/log.js';
import { makeInstance } from './helpers/make-dicom.js';
import { multipartRelated } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';
import { get } from './helpers/wado-multipart.js';

const MAX_BYTES = 8 * 1024 * 1024;
const sink = new MemoryAuditSink();
let server: TestServer;
let WRITER = '';
let OTHER = '';
let READER = '';

const tus = (key: string, headers: Record<string, string> = {}) => ({
  'Tus-Resumable': '1.0.0',
  Authorization: `Bearer ${key}`,
  ...headers,
});
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function keysFor(s: TestServer) {
  const keys = new ApiKeys({
    db: s.database.db,
    roles: DEFAULT_ROLES,
    log: createLogger('silent'),
  });
  return {
    writer: (await keys.create({ name: 'tus-writer', role: 'writer' })).key,
    other: (await keys.create({ name: 'tus-other', role: 'writer' })).key,
    reader: (await keys.create({ name: 'tus-reader', role: 'reader' })).key,
  };
}

/** POST /uploads; returns the upload URL. */
async function create(key: string, length: number, metadata?: string): Promise<string> {
  const response = await fetch(`${server.url}/uploads`, {
    method: 'POST',
    headers: tus(key, {
      'Upload-Length': String(length),
      ...(metadata ? { 'Upload-Metadata': metadata } : {}),
    }),
  });
  expect(response.status, await response.text()).toBe(201);
  return response.headers.get('location')!;
}

async function patch(url: string, key: string, offset: number, bytes: Buffer) {
  return fetch(url, {
    method: 'PATCH',
    headers: tus(key, {
      'Upload-Offset': String(offset),
      'Content-Type': 'application/offset+octet-stream',
    }),
    body: bytes,
  });
}

async function offsetOf(url: string, key: string): Promise<number> {
  const response = await fetch(url, { method: 'HEAD', headers: tus(key) });
  expect(response.status).toBe(200);
  return Number(response.headers.get('upload-offset'));
}

/**
 * Sends a PATCH announcing all of `bytes` but writes only the first `sent`, waits until the
 * server has read them, then destroys the socket: the client's link dies mid-body.
 */
async function cutPatch(url: string, key: string, offset: number, bytes: Buffer, sent: number) {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  await new Promise<void>((resolve, reject) =>
    socket.once('connect', resolve).once('error', reject),
  );
  socket.on('error', () => {});
  socket.write(
    [
      `PATCH ${target.pathname} HTTP/1.1`,
      `Host: ${target.host}`,
      'Tus-Resumable: 1.0.0',
      `Authorization: Bearer ${key}`,
      `Upload-Offset: ${offset}`,
      'Content-Type: application/offset+octet-stream',
      `Content-Length: ${bytes.length}`,
      '',
      '',
    ].join('\r\n'),
  );
  await new Promise<void>((resolve) => socket.write(bytes.subarray(0, sent), () => resolve()));
  await new Promise((r) => setTimeout(r, 300));
  socket.destroy();
}

beforeAll(async () => {
  server = await startTestServer(
    { AUTH_METHODS: 'api-key', UPLOAD_MAX_BYTES: String(MAX_BYTES) },
    { audit: sink },
  );
  ({ writer: WRITER, other: OTHER, reader: READER } = await keysFor(server));
});
afterAll(async () => {
  await server?.close();
});

describe(`#14: resumable uploads (tus) (${testDb})`, () => {
  it('#14: an upload cut mid-PATCH resumes from the offset HEAD gives, and is stored by STOW', async () => {
    const instance = makeInstance({ pixelBytes: 3 * 1024 * 1024, patientId: 'PID-TUS' });
    const bytes = instance.bytes;
    const url = await create(WRITER, bytes.length, `filetype ${b64('application/dicom')}`);
    expect(url.startsWith(`${server.url}/uploads/`)).toBe(true);

    // A first chunk, acknowledged.
    const first = 256 * 1024;
    const one = await patch(url, WRITER, 0, bytes.subarray(0, first));
    expect(one.status).toBe(204);
    expect(one.headers.get('upload-offset')).toBe(String(first));
    expect(one.headers.get('upload-expires')).toBeTruthy();

    // The link dies with ~1 MiB of the next chunk sent.
    const sent = 1024 * 1024;
    await cutPatch(url, WRITER, first, bytes.subarray(first), sent);
    const resumed = await offsetOf(url, WRITER);
    expect(resumed).toBeGreaterThan(first);
    expect(resumed).toBeLessThanOrEqual(first + sent);
    // A PATCH at a stale offset is refused without changing anything.
    expect((await patch(url, WRITER, first, bytes.subarray(first))).status).toBe(409);
    expect(await offsetOf(url, WRITER)).toBe(resumed);

    // Resume from where the server says, in two more chunks; the last one runs STOW.
    const middle = resumed + Math.floor((bytes.length - resumed) / 2);
    expect((await patch(url, WRITER, resumed, bytes.subarray(resumed, middle))).status).toBe(204);
    sink.take();
    const last = await patch(url, WRITER, middle, bytes.subarray(middle));
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(bytes.length));
    expect(last.headers.get('strata-stow-status')).toBe('200');
    const resultUrl = last.headers.get('strata-upload-result')!;
    expect(resultUrl).toBe(`${url}/result`);

    // Audited as the uploader's STOW (110104), like POST /studies.
    const transferred = sink.take().filter((e) => e.type === 'instances-transferred');
    expect(transferred).toHaveLength(1);
    expect(transferred[0]!.user?.id).toBe('tus-writer');
    expect(transferred[0]!.outcome).toBe(0);

    // The result: the STOW response.
    const result = await fetch(resultUrl, { headers: tus(WRITER) });
    expect(result.status).toBe(200);
    const body = (await result.json()) as any;
    expect(body['00081199'].Value[0]['00081155'].Value).toEqual([instance.sopInstanceUid]);

    // Retrievable by WADO, byte for byte.
    const wado = await get(
      `${server.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`,
      { Accept: 'application/dicom', Authorization: `Bearer ${WRITER}` },
    );
    expect(wado.status).toBe(200);
    expect(wado.body.equals(bytes)).toBe(true);

    // Finished: HEAD says complete, a repeated empty final PATCH answers as before, and the
    // bytes are gone from the upload area.
    expect(await offsetOf(url, WRITER)).toBe(bytes.length);
    const again = await patch(url, WRITER, bytes.length, Buffer.alloc(0));
    expect(again.status).toBe(204);
    expect(again.headers.get('strata-stow-status')).toBe('200');
    const id = url.split('/').pop()!;
    expect(await readdir(join(server.dataDir, 'uploads', 'files'))).not.toContain(id);
  });

  it('#14: a multipart/related STOW body uploaded in one request stores every instance', async () => {
    const [a, b] = [makeInstance(), makeInstance()];
    const { body, contentType } = multipartRelated([{ body: a.bytes }, { body: b.bytes }]);
    const response = await fetch(`${server.url}/uploads`, {
      method: 'POST',
      headers: tus(WRITER, {
        'Upload-Length': String(body.length),
        'Upload-Metadata': `filetype ${b64(contentType)}`,
        'Content-Type': 'application/offset+octet-stream',
      }),
      body,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('strata-stow-status')).toBe('200');
    const result = (await (
      await fetch(response.headers.get('strata-upload-result')!, { headers: tus(WRITER) })
    ).json()) as any;
    expect(result['00081199'].Value.map((i: any) => i['00081155'].Value[0]).sort()).toEqual(
      [a.sopInstanceUid, b.sopInstanceUid].sort(),
    );
  });

  it('#14: a non-DICOM upload gets the STOW failure (409, FailedSOPSequence)', async () => {
    const junk = Buffer.alloc(4096, 7);
    const url = await create(WRITER, junk.length);
    const response = await patch(url, WRITER, 0, junk);
    expect(response.status).toBe(204);
    expect(response.headers.get('strata-stow-status')).toBe('409');
    const result = (await (await fetch(`${url}/result`, { headers: tus(WRITER) })).json()) as any;
    expect(result['00081198'].Value).toHaveLength(1);
    expect(result['00081198'].Value[0]['00081197'].Value[0]).toBeGreaterThan(0);
    expect(result['00081199']).toBeUndefined();
  });

  it('#14: the uploader’s patient scope applies as in STOW (0124 for another patient)', async () => {
    const keys = new ApiKeys({
      db: server.database.db,
      roles: DEFAULT_ROLES,
      log: createLogger('silent'),
    });
    const scoped = (
      await keys.create({ name: 'tus-scoped', role: 'writer', patientIds: ['PID-MINE'] })
    ).key;
    const foreign = makeInstance({ patientId: 'PID-OTHER' });
    const url = await create(scoped, foreign.bytes.length);
    const response = await patch(url, scoped, 0, foreign.bytes);
    expect(response.status).toBe(204);
    expect(response.headers.get('strata-stow-status')).toBe('409');
    const result = (await (await fetch(`${url}/result`, { headers: tus(scoped) })).json()) as any;
    expect(result['00081198'].Value[0]['00081197'].Value).toEqual([0x0124]);
  });

  it('#14: when STOW cannot run (503) the bytes stay, and an empty final PATCH runs it again', async () => {
    const instance = makeInstance();
    const url = await create(WRITER, instance.bytes.length);
    sink.fail();
    const failed = await patch(url, WRITER, 0, instance.bytes);
    sink.fail(false);
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as any).code).toBe('audit.unavailable');
    expect(await offsetOf(url, WRITER)).toBe(instance.bytes.length);
    expect((await fetch(`${url}/result`, { headers: tus(WRITER) })).status).toBe(409);
    const retried = await patch(url, WRITER, instance.bytes.length, Buffer.alloc(0));
    expect(retried.status).toBe(204);
    expect(retried.headers.get('strata-stow-status')).toBe('200');
    const result = (await (await fetch(`${url}/result`, { headers: tus(WRITER) })).json()) as any;
    expect(result['00081199'].Value[0]['00081155'].Value).toEqual([instance.sopInstanceUid]);
  });

  it('#14: an unsupported declared type is refused at creation (415)', async () => {
    const response = await fetch(`${server.url}/uploads`, {
      method: 'POST',
      headers: tus(WRITER, {
        'Upload-Length': '10',
        'Upload-Metadata': `filetype ${b64('application/zip')}`,
      }),
    });
    expect(response.status).toBe(415);
  });

  it('#14: uploads need the write action, and belong to their creator', async () => {
    const anonymous = await fetch(`${server.url}/uploads`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '100' },
    });
    expect(anonymous.status).toBe(401);
    const reader = await fetch(`${server.url}/uploads`, {
      method: 'POST',
      headers: tus(READER, { 'Upload-Length': '100' }),
    });
    expect(reader.status).toBe(403);

    const url = await create(WRITER, 100);
    expect((await fetch(url, { method: 'HEAD', headers: tus(OTHER) })).status).toBe(404);
    expect((await patch(url, OTHER, 0, Buffer.alloc(100))).status).toBe(404);
    expect((await fetch(url, { method: 'DELETE', headers: tus(OTHER) })).status).toBe(404);
    expect(await offsetOf(url, WRITER)).toBe(0);
    // Termination by its owner.
    expect((await fetch(url, { method: 'DELETE', headers: tus(WRITER) })).status).toBe(204);
    expect((await fetch(url, { method: 'HEAD', headers: tus(WRITER) })).status).toBe(404);
  });

  it('#14: an upload over UPLOAD_MAX_BYTES is refused with 413 before any byte', async () => {
    const options = await fetch(`${server.url}/uploads`, {
      method: 'OPTIONS',
      headers: { Authorization: `Bearer ${WRITER}` },
    });
    expect(options.headers.get('tus-max-size')).toBe(String(MAX_BYTES));
    const response = await fetch(`${server.url}/uploads`, {
      method: 'POST',
      headers: tus(WRITER, { 'Upload-Length': String(MAX_BYTES + 1) }),
    });
    expect(response.status).toBe(413);
  });
});

describe(`#14: upload expiry (${testDb})`, () => {
  let short: TestServer;
  let key = '';
  beforeAll(async () => {
    short = await startTestServer({ AUTH_METHODS: 'api-key', UPLOAD_EXPIRY_SECONDS: '2' });
    key = (await keysFor(short)).writer;
  });
  afterAll(async () => {
    await short?.close();
  });

  it('#14: an unfinished upload is removed with its bytes once expired', async () => {
    const created = await fetch(`${short.url}/uploads`, {
      method: 'POST',
      headers: tus(key, { 'Upload-Length': '1000' }),
    });
    const url = created.headers.get('location')!;
    const response = await fetch(url, {
      method: 'PATCH',
      headers: tus(key, {
        'Upload-Offset': '0',
        'Content-Type': 'application/offset+octet-stream',
      }),
      body: Buffer.alloc(500),
    });
    expect(response.status).toBe(204);
    const files = join(short.dataDir, 'uploads', 'files');
    const id = url.split('/').pop()!;
    expect(await readdir(files)).toContain(id);
    const deadline = Date.now() + 10_000;
    while ((await readdir(files)).some((f) => f.startsWith(id))) {
      if (Date.now() > deadline) throw new Error('the expired upload was not swept within 10 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const head = await fetch(url, { method: 'HEAD', headers: tus(key) });
    expect(head.status).toBe(404);
  });
});
