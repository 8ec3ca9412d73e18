/**
 * Decoding and rendering off the main thread, with bounded memory: `concurrency` slots, each
 * with its own worker thread (imaging-worker.ts), and a bounded queue of requests waiting for
 * a slot. A caller holds its slot for the whole unit of work (read the frame, decode, encode),
 * so at most `concurrency` decoded frames exist at once; beyond `maxQueue` waiting requests
 * the pool refuses at once with ImagingBusyError (503 + Retry-After) instead of queueing
 * without bound. The main thread only moves bytes: frames go to the worker and pixels come
 * back as transferred buffers, not copies.
 *
 * Why our own ~150 lines rather than piscina: the slot must span the caller's storage read and
 * sharp encode (not just the worker call), the queue bound is ours to map to 503, and it adds
 * no dependency. Workers start on first use and are replaced when one dies.
 */
import { Worker } from 'node:worker_threads';
import type { DecodedFrame } from './decode.js';
import { DecodeError, deserializeError, ImagingBusyError, type SerializedError } from './errors.js';
import {
  transferable,
  type DisplayTask,
  type EncodeGrayTask,
  type ImagingTask,
  type WindowTask,
} from './imaging-tasks.js';
import type { TaskRequest } from './imaging-worker.js';
import type { PixelDescription } from './pixel-description.js';
import type { DisplayImage, DisplayResult } from './render.js';

export interface ImagingPoolOptions {
  /** Slots (= worker threads): decodes and renders in progress at once. */
  concurrency: number;
  /** Requests waiting for a slot; one more is refused with ImagingBusyError. */
  maxQueue: number;
}

/** Seconds a refused client is told to wait (RFC 9110 §10.2.3): renders take about that long. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/** What a slot holder may run on its worker thread. */
export interface ImagingWorker {
  /** The buffer of `frame` is transferred (detached here) when the view covers it whole. */
  decode(
    frame: Uint8Array,
    transferSyntaxUid: string,
    description: PixelDescription,
  ): Promise<DecodedFrame>;
  /**
   * Decode + grayscale/colour pipeline to 8-bit pixels (imaging/render.ts displayOf), with the
   * grayscale frame behind the image when it can be kept.
   */
  display(task: Omit<DisplayTask, 'op'>): Promise<DisplayResult>;
  /** A kept grayscale frame under a new window (its values are shared, not copied). */
  window(task: Omit<WindowTask, 'op'>): Promise<DisplayImage>;
  /** As `window`, and encoded (render.ts encodeImage) on the worker too. */
  encodeGray(task: Omit<EncodeGrayTask, 'op'>): Promise<Buffer>;
}

export interface UseOptions {
  admitted?: boolean;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

export class ImagingPool {
  private active = 0;
  private readonly idle: WorkerThread[] = [];
  private readonly waiting: Waiter[] = [];
  private readonly all = new Set<WorkerThread>();

  constructor(private readonly options: ImagingPoolOptions) {
    if (!(options.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  /**
   * Runs `work` holding a slot and its worker, once one is free.
   *
   * @param options.admitted the work continues a response already under way (frame 2 of a
   *   streamed multi-frame answer): it waits for a slot rather than being refused, since a
   *   refusal now would cut a body whose status line is sent.
   * @throws ImagingBusyError when every slot is taken and `maxQueue` requests already wait.
   */
  async use<T>(
    work: (worker: ImagingWorker) => Promise<T>,
    signal?: AbortSignal,
    options: UseOptions = {},
  ): Promise<T> {
    await this.acquire(signal, options.admitted === true);
    const thread = this.idle.pop() ?? this.spawn();
    try {
      return await work(thread);
    } finally {
      if (thread.alive) this.idle.push(thread);
      const next = this.waiting.shift();
      if (next)
        next.resolve(); // the slot passes to the next waiter
      else this.active--;
    }
  }

  /** One decode in a slot of its own (`options` as for `use`). */
  decode(
    frame: Uint8Array,
    transferSyntaxUid: string,
    description: PixelDescription,
    signal?: AbortSignal,
    options: UseOptions = {},
  ): Promise<DecodedFrame> {
    return this.use(
      (worker) => worker.decode(frame, transferSyntaxUid, description),
      signal,
      options,
    );
  }

  /** Slots in use and requests waiting for one, now (the render queue depth of /metrics). */
  load(): { active: number; queued: number } {
    return { active: this.active, queued: this.waiting.length };
  }

  /** Stops every worker; waiting requests are refused. */
  async close(): Promise<void> {
    for (const waiter of this.waiting.splice(0))
      waiter.reject(new ImagingBusyError(BUSY_RETRY_AFTER_SECONDS));
    await Promise.all([...this.all].map((thread) => thread.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  private acquire(signal: AbortSignal | undefined, admitted: boolean): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.options.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    if (!admitted && this.waiting.length >= this.options.maxQueue)
      return Promise.reject(new ImagingBusyError(BUSY_RETRY_AFTER_SECONDS));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        // A client gone while queued gives its place up.
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(abortReason(signal));
      };
      const waiter: Waiter = {
        resolve: () => (signal?.removeEventListener('abort', onAbort), resolve()),
        reject: (error) => (signal?.removeEventListener('abort', onAbort), reject(error)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private spawn(): WorkerThread {
    const thread = new WorkerThread(() => this.all.delete(thread));
    this.all.add(thread);
    return thread;
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

/**
 * The worker's entry beside this module. Compiled (`npm start` runs dist/, bin/build.mjs) it is
 * JavaScript and loads as it is. From the TypeScript sources a small bootstrap registers tsx in
 * the new thread first, so it loads the same way under `node --import tsx`, bin/strata.js (tsx
 * `register()`, which workers do not inherit) and vitest.
 */
const BOOTSTRAP = import.meta.url.endsWith('.js')
  ? `import(${JSON.stringify(new URL('./imaging-worker.js', import.meta.url).href)});`
  : `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(new URL('./imaging-worker.ts', import.meta.url).href)}); });`;

type Reply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: SerializedError };

class WorkerThread implements ImagingWorker {
  alive = true;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: unknown): void }
  >();
  private readonly worker: Worker;

  constructor(onGone: () => void) {
    this.worker = new Worker(BOOTSTRAP, { eval: true });
    // An idle pool must not keep the process alive.
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const call = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) call?.resolve(reply.result);
      else call?.reject(deserializeError(reply.error));
    });
    const gone = (cause: unknown): void => {
      if (!this.alive) return;
      this.alive = false;
      onGone();
      for (const call of this.pending.values())
        call.reject(new DecodeError('the imaging worker stopped', { cause }));
      this.pending.clear();
    };
    this.worker.on('error', gone);
    this.worker.on('exit', (code) => gone(new Error(`exit code ${code}`)));
  }

  decode(
    frame: Uint8Array,
    transferSyntaxUid: string,
    description: PixelDescription,
  ): Promise<DecodedFrame> {
    return this.call({
      op: 'decode',
      frame,
      transferSyntaxUid,
      description,
    }) as Promise<DecodedFrame>;
  }

  display(task: Omit<DisplayTask, 'op'>): Promise<DisplayResult> {
    return this.call({ ...task, op: 'display' }) as Promise<DisplayResult>;
  }

  window(task: Omit<WindowTask, 'op'>): Promise<DisplayImage> {
    return this.call({ ...task, op: 'window' }) as Promise<DisplayImage>;
  }

  async encodeGray(task: Omit<EncodeGrayTask, 'op'>): Promise<Buffer> {
    const bytes = (await this.call({ ...task, op: 'encode-gray' })) as Uint8Array;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private call(task: ImagingTask): Promise<unknown> {
    if (!this.alive) return Promise.reject(new DecodeError('the imaging worker stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: TaskRequest = { id, task };
      this.worker.postMessage(request, 'frame' in task ? transferable(task.frame) : []);
    });
  }
}
