/**
 * `strata import` against the local index: each file is stored as its own STOW call (same
 * pipeline, durability and patient scope as STOW-RS), and the run is recorded as 110107 Import
 * (PS3.15 A.5.3.6), one record per patient listing their studies, rather than one record per
 * file. Records are written every FLUSH_EVERY instances and when the run finishes, so a long
 * import leaves a trail as it goes and an interrupted one loses at most that many instances'
 * attribution (the instances themselves are durable either way).
 */
import type { Readable } from 'node:stream';
import type { AuditSink } from '../audit/event.js';
import type { Actor } from './actor.js';
import { recordAll } from './audit-records.js';
import type { StoreOutcome } from './outcomes.js';
import type { IncomingInstance, PartResult, StoreManyResult } from './store-many.js';
import { stowEvents, type NamedPatient } from './stow.js';

const FLUSH_EVERY = 500;

export interface ImportSessionDeps {
  store(parts: IncomingInstance[], patientOf: Map<string, NamedPatient>): Promise<StoreManyResult>;
  storedSha256(sopInstanceUid: string): Promise<string | undefined>;
  audit: AuditSink;
}

export class ImportSession {
  private parts: PartResult[] = [];
  private patientOf = new Map<string, NamedPatient>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ImportSessionDeps,
    private readonly actor: Actor,
    /** The kind of source (folder, zip, files): no path, which may name a patient. */
    private readonly source: string,
  ) {}

  /**
   * The SHA-256 (of the bytes as stored: preamble zeroed) of the stored instance with this SOP
   * Instance UID, or undefined: an import skips a file whose bytes are stored already.
   */
  storedSha256(sopInstanceUid: string): Promise<string | undefined> {
    return this.deps.storedSha256(sopInstanceUid);
  }

  /** Stores one instance; a failure of the instance is an outcome, not an exception. */
  async store(body: Readable): Promise<StoreOutcome> {
    const named = new Map<string, NamedPatient>();
    const result = await this.deps.store([{ body }], named);
    for (const [uid, patient] of named) this.patientOf.set(uid, patient);
    const [part] = result.parts;
    if (!part) throw new Error('store returned no part');
    this.parts.push(part);
    if (this.parts.length >= FLUSH_EVERY) await this.flush();
    // Not the instance's fault (index down, audit unavailable): the import stops.
    if ('error' in part) throw asError(part.error);
    return part.outcome;
  }

  /** Records what is not recorded yet; resolves once durable. */
  finish(): Promise<void> {
    return this.flush();
  }

  private flush(): Promise<void> {
    const parts = this.parts;
    const patientOf = this.patientOf;
    this.parts = [];
    this.patientOf = new Map();
    // One flush at a time, in order: concurrent stores may cross the threshold together.
    this.flushing = this.flushing.then(() =>
      parts.length === 0
        ? undefined
        : recordAll(
            this.deps.audit,
            stowEvents(this.actor, { parts }, patientOf, 'import', { source: this.source }),
          ),
    );
    return this.flushing;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
