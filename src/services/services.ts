import type { AuditSink } from '../audit/event.js';
import type { Db } from '../index/db.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { BlobStore } from '../storage/blob-store.js';
import { ChangeEvents } from './change-events.js';
import { ChangeFeedService } from './change-feed.js';
import { ChangeTicker } from './change-ticker.js';
import { DeleteInstances } from './delete-instances.js';
import { ExportInstances } from './export-instances.js';
import { SendInstances } from './send-instances.js';
import { FrameSource } from './frame-source.js';
import { InstanceLookup } from './instance-lookup.js';
import type { MoveDeps } from './migrate-one.js';
import { MigrateTiers, type MigrateTiersOptions } from './migrate-tiers.js';
import { Readiness } from './readiness.js';
import { AccessRecorder } from './retrieve-access.js';
import { RetrieveBulkData } from './retrieve-bulk-data.js';
import { RetrieveFrames } from './retrieve-frames.js';
import { RetrieveInstances } from './retrieve-instances.js';
import { RetrieveMetadata } from './retrieve-metadata.js';
import { RetrieveRendered } from './retrieve-rendered.js';
import type { ImagingPool } from '../imaging/imaging-pool.js';
import { ThumbnailCache } from '../imaging/thumbnail-cache.js';
import { DEFAULT_FRAME_CACHE_BYTES, GrayFrameCache } from '../imaging/gray-frame-cache.js';
import { SearchService, type SearchOptions } from './search.js';
import { RetrieveAudit } from './audit-records.js';
import { StoreInstances, type StoreInstancesDeps } from './store-instances.js';
import type { ServiceObserver } from './observer.js';
import { StowService } from './stow.js';
import { SweepBlobs } from './sweep-blobs.js';
import { VerifyStorage } from './verify.js';
import { VerifyRuns } from './verify-runs.js';
import { WebhookAdmin } from './webhooks.js';

export interface ServicesDeps {
  db: Db;
  /** Where new instances land (the first tier); also present in `stores`. */
  store: BlobStore;
  /**
   * Every storage tier by name (`BlobStore.name` = the `storage_tier` recorded on each
   * instance). Reads go straight to the recorded tier; nothing probes tiers.
   */
  stores: ReadonlyMap<string, BlobStore>;
  log: Logger;
  storeOptions: StoreInstancesDeps['options'];
  fault?: StoreInstancesDeps['fault'];
  /** HSM tiers, policies and recall (STRATA_CONFIG); undefined = no policies. */
  hsm?: MigrateTiersOptions | undefined;
  /** Time for HSM policies and leases; tests pass a FakeClock. */
  clock?: Clock | undefined;
  /** Test hook: HSM move fault points. */
  migrationFault?: MoveDeps['fault'];
  /** QIDO-RS paging limits; default 100 per page, at most 1000. */
  searchOptions?: SearchOptions | undefined;
  /** Decoding and rendering: worker threads and the bounded queue (503 when full). */
  imaging: ImagingPool;
  /**
   * Bytes of decoded grayscale frames kept so a window change re-renders without a read or a
   * decode (RENDER_FRAME_CACHE_BYTES); default 64 MiB, 0 = none.
   */
  frameCacheBytes?: number | undefined;
  /**
   * The audit trail (audit/trail.ts): services record who stored, saw, searched or deleted
   * which patient's studies; a record that cannot be written fails the request.
   */
  audit: AuditSink;
  /** Told of STOW outcomes and HSM moves (metrics/); none = not counted. */
  observer?: ServiceObserver | undefined;
  /** Change feed, event streams: poll interval and heartbeat (defaults 1 s, 15 s). */
  events?: { pollMs: number; heartbeatMs: number } | undefined;
}

/** The one object web/ receives, grouped by use case. */
export interface Services {
  /**
   * STOW-RS Store Instances (PS3.18 10.5) for a request: patient scope and audit around the
   * per-instance StoreInstances (services/stow.ts), which is not exposed, so no caller can store
   * around the scope and the audit trail.
   */
  stow: StowService;
  /** QIDO-RS (PS3.18 10.6). */
  search: SearchService;
  /** WADO-RS (PS3.18 10.4). */
  retrieve: RetrieveServices;
  /** Non-standard DELETE of a study, series or instance. */
  delete: DeleteInstances;
  /** `strata export`: instances of a study, series or query, recorded as 110106 Export. */
  export: ExportInstances;
  /**
   * Instances sent to another DICOM node (strata send, C-MOVE and C-GET sub-operations),
   * audited as 110106 Export or 110104.
   */
  send: SendInstances;
  /** What keeps storage and index in step: sweeps, HSM migration, verification. */
  maintenance: MaintenanceServices;
  /** /readyz: index and every storage tier answer. */
  readiness: Readiness;
  /** The change feed, live events and webhook subscriptions (README "Change feed and events"). */
  changes: ChangeServices;
}

export interface ChangeServices {
  /** `GET /changefeed`, `/changefeed/latest`. */
  feed: ChangeFeedService;
  /** `GET /events` (Server-Sent Events). */
  events: ChangeEvents;
  /** Wakes event streams and webhook delivery; STOW and DELETE nudge it after each commit. */
  signal: ChangeTicker;
  /** `/admin/webhooks`. */
  webhooks: WebhookAdmin;
}

/** WADO-RS, one member per resource kind of PS3.18 10.4.1.1. */
export interface RetrieveServices {
  /** Retrieve Instances (10.4.1.1.1). */
  instances: RetrieveInstances;
  /** Retrieve Metadata (10.4.1.1.2). */
  metadata: RetrieveMetadata;
  /** Retrieve Frames (10.4.1.1.4). */
  frames: RetrieveFrames;
  /** Retrieve Bulk Data (10.4.1.1.5). */
  bulkData: RetrieveBulkData;
  /** Retrieve Rendered and Thumbnail (10.4.1.1.3, 10.4.1.1.5). */
  rendered: RetrieveRendered;
  /** Which instances a request names (10.4.1), with their metadata. */
  lookup: InstanceLookup;
  /** Batched last_accessed_at for the HSM policy; flush() on shutdown. */
  access: AccessRecorder;
}

export interface MaintenanceServices {
  /** Deletes blobs the index no longer references (and pending writes a crash left). */
  sweeper: SweepBlobs;
  /** HSM: migration cycles, tier statistics, cycle history. */
  hsm: MigrateTiers;
  /** `strata verify`: index ↔ storage consistency. */
  verify: VerifyStorage;
  /** Verify runs started by an admin over HTTP, in the background, and the last report. */
  verifyRuns: VerifyRuns;
}

/**
 * Per-check bound of /readyz: a healthy index answers `select 1` and an object store its probe
 * in milliseconds, so 2 s means trouble; it keeps the whole answer inside Docker's HEALTHCHECK
 * timeout (5 s in our Dockerfile). Kubernetes probes should allow at least 3 s (timeoutSeconds).
 */
const READINESS_TIMEOUT_MS = 2000;

export function createServices(deps: ServicesDeps): Services {
  const sweeper = new SweepBlobs({
    db: deps.db,
    stores: deps.stores,
    log: deps.log,
  });
  const access = new AccessRecorder({ db: deps.db, log: deps.log });
  const lookup = new InstanceLookup({ db: deps.db });
  const verify = new VerifyStorage({
    db: deps.db,
    stores: deps.stores,
    log: deps.log,
    audit: deps.audit,
    offlineTiers: new Set(deps.hsm?.tiers.filter((t) => t.offline).map((t) => t.name)),
  });
  const audit = new RetrieveAudit(deps.audit);
  const frames = new FrameSource({ stores: deps.stores, access });
  const retrieveFrames = new RetrieveFrames({ lookup, frames, imaging: deps.imaging, audit });
  const signal = new ChangeTicker({
    db: deps.db,
    log: deps.log,
    pollMs: deps.events?.pollMs ?? 1000,
  });
  const feed = new ChangeFeedService({ db: deps.db, audit: deps.audit });
  const store = new StoreInstances({
    db: deps.db,
    store: deps.store,
    sweeper,
    options: deps.storeOptions,
    fault: deps.fault,
    observer: deps.observer,
    committed: () => signal.nudge(),
  });
  const search = new SearchService({
    db: deps.db,
    options: deps.searchOptions ?? { defaultLimit: 100, maxLimit: 1000 },
    audit: deps.audit,
  });
  const instances = new RetrieveInstances({
    lookup,
    frames,
    stores: deps.stores,
    access,
    imaging: deps.imaging,
    audit,
  });
  return {
    stow: new StowService({ db: deps.db, store, audit: deps.audit, observer: deps.observer }),
    search,
    retrieve: {
      instances,
      metadata: new RetrieveMetadata({ lookup, audit }),
      frames: retrieveFrames,
      bulkData: new RetrieveBulkData({
        lookup,
        frames: retrieveFrames,
        stores: deps.stores,
        access,
        audit,
      }),
      // Rendered images and thumbnails: 32 MiB of encoded images in memory (~10k 128-px JPEG
      // thumbnails, or ~500 512² CT renders), LRU.
      rendered: new RetrieveRendered({
        lookup,
        frames,
        stores: deps.stores,
        imaging: deps.imaging,
        thumbnails: new ThumbnailCache(32 << 20),
        grayFrames: new GrayFrameCache(deps.frameCacheBytes ?? DEFAULT_FRAME_CACHE_BYTES),
        audit,
      }),
      lookup,
      access,
    },
    delete: new DeleteInstances({
      db: deps.db,
      sweeper,
      audit: deps.audit,
      committed: () => signal.nudge(),
    }),
    export: new ExportInstances({ lookup, search, stores: deps.stores, audit: deps.audit }),
    send: new SendInstances({ db: deps.db, lookup, instances, audit: deps.audit }),
    maintenance: {
      sweeper,
      hsm: new MigrateTiers({
        db: deps.db,
        stores: deps.stores,
        sweeper,
        log: deps.log,
        clock: deps.clock ?? systemClock,
        options: deps.hsm ?? NO_HSM,
        pendingGraceSeconds: deps.storeOptions.pendingGraceSeconds,
        deleteGraceSeconds: deps.storeOptions.deleteGraceSeconds,
        fault: deps.migrationFault,
        observer: deps.observer,
      }),
      verify,
      verifyRuns: new VerifyRuns(verify, deps.log, { concurrency: 4, clock: deps.clock }),
    },
    readiness: new Readiness({
      db: deps.db,
      stores: deps.stores,
      timeoutMs: READINESS_TIMEOUT_MS,
    }),
    changes: {
      feed,
      events: new ChangeEvents({
        db: deps.db,
        feed,
        signal,
        options: { heartbeatMs: deps.events?.heartbeatMs ?? 15_000 },
      }),
      signal,
      webhooks: new WebhookAdmin({ db: deps.db, audit: deps.audit }),
    },
  };
}

/** Without STRATA_CONFIG: no policies, no recall; cycles only record that nothing moved. */
const NO_HSM: MigrateTiersOptions = {
  tiers: [],
  policies: [],
  migration: { intervalSeconds: 0, leaseSeconds: 600 },
  recall: undefined,
};
