import { describeBlobStoreContract } from './blob-store.contract.js';
import { MemoryBlobStore } from './memory-blob-store.js';

describeBlobStoreContract('memory', () =>
  Promise.resolve({ store: new MemoryBlobStore(), cleanup: () => Promise.resolve() }),
);
