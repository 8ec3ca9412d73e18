/**
 * Test support for services/: an in-memory PGlite index (migrated) and memory blob stores, and a
 * builder of small Part 10 instances. Not a test file; unit tests of services build the service
 * they test from these parts themselves, so they do not depend on how services.ts groups them.
 */
import { Readable } from 'node:stream';
import { concat, explicitElement, text, uint16s } from '../../dicom/testing/build-part10.js';
import { TransferSyntax } from '../../dicom/uid.js';
import { openDb, type Database } from '../../index/db.js';
import { migrateDb } from '../../index/migrate.js';
import { createLogger, type Logger } from '../../lib/log.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { Actor } from '../actor.js';
import { MemoryBlobStore } from '../../storage/memory-blob-store.js';
import { StoreInstances, type StoreInstancesDeps } from '../store-instances.js';
import { SweepBlobs } from '../sweep-blobs.js';

export interface ServiceFixture {
  database: Database;
  db: Database['db'];
  /** The tier new instances land in (`memory`). */
  store: MemoryBlobStore;
  stores: ReadonlyMap<string, BlobStore>;
  log: Logger;
  sweeper: SweepBlobs;
  /** STOW's service over this index and store, with STORE_OPTIONS. */
  storeInstances: StoreInstances;
  /** The same service over the same index and store with other options. */
  storeWith(options: Partial<StoreInstancesDeps['options']>): StoreInstances;
  close(): Promise<void>;
}

/** An unrestricted actor for tests that are not about scope or audit. */
export const TEST_ACTOR: Actor = { user: { id: 'test', method: 'system', roles: [] } };

/** An actor restricted to the given patients (PatientID values). */
export function scopedActor(...patientIds: string[]): Actor {
  return { user: { id: 'scoped', method: 'api-key', roles: ['reader'] }, patientIds };
}

export const STORE_OPTIONS: StoreInstancesDeps['options'] = {
  maxInstanceBytes: 1024 * 1024,
  maxHeaderBytes: 64 * 1024,
  duplicatePolicy: 'reject',
  pendingGraceSeconds: 3600,
  deleteGraceSeconds: 0,
};

/**
 * A fresh in-memory index with every migration applied, and an empty memory store. Opening one
 * costs seconds: a test file opens one and gives its tests distinct UIDs.
 */
export async function openServiceFixture(): Promise<ServiceFixture> {
  const database = await openDb({});
  await migrateDb(database);
  const store = new MemoryBlobStore();
  const stores = new Map<string, BlobStore>([[store.name, store]]);
  const log = createLogger('silent');
  const sweeper = new SweepBlobs({ db: database.db, stores, log });
  const storeWith = (options: Partial<StoreInstancesDeps['options']>) =>
    new StoreInstances({
      db: database.db,
      store,
      sweeper,
      options: { ...STORE_OPTIONS, ...options },
    });
  return {
    database,
    db: database.db,
    store,
    stores,
    log,
    sweeper,
    storeInstances: storeWith({}),
    storeWith,
    close: () => database.close(),
  };
}

let counter = 0;

/** A UID under the 2.25 root (PS3.5 B.2) unique within this process. */
export function testUid(): string {
  counter += 1;
  return `2.25.${Date.now()}${String(counter).padStart(6, '0')}`;
}

export interface TestInstance {
  bytes: Uint8Array;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
}

export interface TestInstanceSpec {
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  patientId?: string;
  patientName?: string;
  modality?: string;
  /** Samples of a 2x2 16-bit image (default 1, 2, 3, 4). */
  pixels?: readonly [number, number, number, number];
}

/** Secondary Capture Image Storage (PS3.4 B.5). */
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

/** A complete Explicit VR Little Endian Part 10 instance: a 2x2 16-bit MONOCHROME2 image. */
export function testInstance(spec: TestInstanceSpec = {}): TestInstance {
  const studyInstanceUid = spec.studyInstanceUid ?? testUid();
  const seriesInstanceUid = spec.seriesInstanceUid ?? testUid();
  const sopInstanceUid = spec.sopInstanceUid ?? testUid();
  const uid = (value: string) => text(value, '\0');
  const metaBody = concat([
    explicitElement('00020001', 'OB', new Uint8Array([0, 1])),
    explicitElement('00020002', 'UI', uid(SECONDARY_CAPTURE)),
    explicitElement('00020003', 'UI', uid(sopInstanceUid)),
    explicitElement('00020010', 'UI', uid(TransferSyntax.ExplicitVRLittleEndian)),
  ]);
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, metaBody.length, true);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128); // 'DICM'
  const bytes = concat([
    preamble,
    explicitElement('00020000', 'UL', groupLength),
    metaBody,
    explicitElement('00080016', 'UI', uid(SECONDARY_CAPTURE)),
    explicitElement('00080018', 'UI', uid(sopInstanceUid)),
    explicitElement('00080020', 'DA', text('20240102')),
    explicitElement('00080060', 'CS', text(spec.modality ?? 'OT')),
    explicitElement('00100010', 'PN', text(spec.patientName ?? 'Test^Patient')),
    explicitElement('00100020', 'LO', text(spec.patientId ?? 'PID-1')),
    explicitElement('0020000D', 'UI', uid(studyInstanceUid)),
    explicitElement('0020000E', 'UI', uid(seriesInstanceUid)),
    explicitElement('00200013', 'IS', text('1')),
    explicitElement('00280002', 'US', uint16s(1)),
    explicitElement('00280004', 'CS', text('MONOCHROME2')),
    explicitElement('00280010', 'US', uint16s(2)),
    explicitElement('00280011', 'US', uint16s(2)),
    explicitElement('00280100', 'US', uint16s(16)),
    explicitElement('00280101', 'US', uint16s(16)),
    explicitElement('00280102', 'US', uint16s(15)),
    explicitElement('00280103', 'US', uint16s(0)),
    explicitElement('7FE00010', 'OW', uint16s(...(spec.pixels ?? [1, 2, 3, 4]))),
  ]);
  return {
    bytes,
    studyInstanceUid,
    seriesInstanceUid,
    sopInstanceUid,
    sopClassUid: SECONDARY_CAPTURE,
  };
}

/** The instance's bytes as the request body stream STOW hands the service. */
export function bodyOf(bytes: Uint8Array): Readable {
  return Readable.from([Buffer.from(bytes)]);
}

/** The whole blob under `key`. */
export async function readAll(store: BlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** How many blobs the store holds. */
export async function blobKeys(store: BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list()) keys.push(key);
  return keys;
}
