import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * A stand-in for an OpenTelemetry collector: an HTTP server taking what the OTLP/HTTP exporter
 * posts to /v1/traces (OTLP JSON encoding) and keeping the spans.
 */
interface OtlpSpan {
  name: string;
  spanId: string;
  traceId: string;
  parentSpanId?: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

let collector: Server;
const posts: { path: string; body: string }[] = [];
let server: TestServer;

beforeAll(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      posts.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  server = await startTestServer({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
});
afterAll(async () => {
  await server?.close();
  await new Promise((resolve) => collector?.close(resolve));
});

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
};

describe(`#14: OpenTelemetry tracing (${testDb})`, () => {
  it('exports a span per request, named by route template, with index and storage spans inside, and no UID', async () => {
    const instance = makeInstance({ patientId: 'TRACE-PATIENT-1' });
    expect((await stow(`${server.base}/studies`, [{ body: instance.bytes }])).status).toBe(200);
    const url = `${server.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;
    // Called from a traced gateway: its trace continues here (W3C Trace Context).
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const callerSpan = 'b7ad6b7169203331';
    const response = await fetch(url, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    // Closing flushes what the batch processor still holds.
    await server.close();
    server = undefined as unknown as TestServer;

    expect(posts.length).toBeGreaterThan(0);
    expect(new Set(posts.map((p) => p.path))).toEqual(new Set(['/v1/traces']));
    const spans: OtlpSpan[] = posts.flatMap((p) =>
      JSON.parse(p.body).resourceSpans.flatMap((r: any) =>
        r.scopeSpans.flatMap((s: any) => s.spans),
      ),
    );
    const template = '/dicom-web/studies/:study/series/:series/instances/:instance';
    const request = spans.find((s) => s.name === `GET ${template}`);
    expect(request, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(attribute(request!, 'http.route')).toBe(template);
    expect(Number(attribute(request!, 'http.response.status_code'))).toBe(200);
    expect([request!.traceId, request!.parentSpanId]).toEqual([traceId, callerSpan]);
    const stowSpan = spans.find((s) => s.name === 'POST /dicom-web/studies');
    expect(stowSpan).toBeDefined();
    // Children of the request's span: the index lookup and the storage read.
    const children = spans.filter((s) => s.parentSpanId === request!.spanId).map((s) => s.name);
    expect(children).toContain('index query');
    expect(children).toContain('storage get');
    // Nothing that names the patient or the instance leaves with the spans.
    const all = posts.map((p) => p.body).join('\n');
    for (const value of [
      instance.studyInstanceUid,
      instance.seriesInstanceUid,
      instance.sopInstanceUid,
      'TRACE-PATIENT-1',
    ])
      expect(all).not.toContain(value);
  });
});
