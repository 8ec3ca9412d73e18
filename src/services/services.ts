import type { Db } from '../index/db.js';
import type { Logger } from '../lib/log.js';
import type { BlobStore } from '../storage/blob-store.js';
import { DeleteInstances } from './delete-instances.js';
import { StoreInstances, type StoreInstancesDeps } from './store-instances.js';
import { SweepBlobs } from './sweep-blobs.js';

export interface ServicesDeps {
  db: Db;
  /** Where new instances land (the first tier). */
  store: BlobStore;
  log: Logger;
  storeOptions: StoreInstancesDeps['options'];
  fault?: StoreInstancesDeps['fault'];
}

/** The one object web/ receives. */
export interface Services {
  store: StoreInstances;
  delete: DeleteInstances;
  sweeper: SweepBlobs;
}

export function createServices(deps: ServicesDeps): Services {
  const sweeper = new SweepBlobs({
    db: deps.db,
    stores: new Map([[deps.store.name, deps.store]]),
    log: deps.log,
  });
  return {
    sweeper,
    store: new StoreInstances({
      db: deps.db,
      store: deps.store,
      sweeper,
      options: deps.storeOptions,
      fault: deps.fault,
    }),
    delete: new DeleteInstances({ db: deps.db, sweeper }),
  };
}
