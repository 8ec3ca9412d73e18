/**
 * #14: live change events over Server-Sent Events. A subscriber receives STOW and DELETE changes
 * as they commit, heartbeats while nothing happens, and a client that reconnects with
 * Last-Event-ID receives exactly what it missed, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ EVENTS_HEARTBEAT_SECONDS: '1' });
});
afterAll(async () => {
  await server?.close();
});

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Opens /events and parses its messages as they arrive. */
async function subscribe(headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await fetch(`${server.base}/events`, { headers, signal: abort.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const messages: SseMessage[] = [];
  let waiters: (() => void)[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) message.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(':');
              (message as any)[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
            }
          }
          messages.push(message);
          for (const w of waiters) w();
        }
      }
    } catch {
      // aborted
    }
  })();
  const until = async (test: (m: SseMessage[]) => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!test(messages)) {
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(messages)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
      waiters = [];
    }
  };
  const entries = () => messages.filter((m) => m.data !== undefined);
  return { messages, entries, until, close: () => abort.abort() };
}

describe(`#14: events (${testDb})`, () => {
  it('delivers changes live, heartbeats, and resumes after Last-Event-ID', async () => {
    const live = await subscribe();
    await live.until((m) => m.some((x) => x.comment === 'open'));
    const a = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: a.bytes }])).status).toBe(200);
    await live.until(() => live.entries().length >= 1);
    const [first] = live.entries();
    expect(first!.event).toBe('create');
    const entry = JSON.parse(first!.data!);
    expect(entry.SopInstanceUid).toBe(a.sopInstanceUid);
    expect(entry.StudyInstanceUid).toBe(a.studyInstanceUid);
    expect(first!.id).toBe(String(entry.Sequence));

    // Quiet: a heartbeat comment keeps the stream open.
    await live.until((m) => m.some((x) => x.comment === 'heartbeat'), 5000);
    live.close();

    // While disconnected: another STOW and a DELETE.
    const b = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: b.bytes }])).status).toBe(200);
    const gone = await fetch(
      `${server.base}/studies/${a.studyInstanceUid}/series/${a.seriesInstanceUid}/instances/${a.sopInstanceUid}`,
      { method: 'DELETE' },
    );
    expect(gone.status).toBe(204);

    const resumed = await subscribe({ 'Last-Event-ID': first!.id! });
    await resumed.until(() => resumed.entries().length >= 2);
    const missed = resumed.entries().map((m) => JSON.parse(m.data!));
    expect(missed.map((e) => [e.Action, e.SopInstanceUid])).toEqual([
      ['create', b.sopInstanceUid],
      ['delete', a.sopInstanceUid],
    ]);
    expect(missed[0].Sequence).toBeGreaterThan(entry.Sequence);
    expect(missed[1].Sequence).toBeGreaterThan(missed[0].Sequence);
    // Nothing before Last-Event-ID is sent again.
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.entries()).toHaveLength(2);
    resumed.close();
  });

  it('refuses a Last-Event-ID that is not a sequence', async () => {
    const response = await fetch(`${server.base}/events`, { headers: { 'Last-Event-ID': 'x' } });
    expect(response.status).toBe(400);
  });
});
