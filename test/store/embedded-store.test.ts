// The store contract against the embedded (in-process) store.
import { EmbeddedStore } from '../../control-plane/src/store/embedded-store.js';
import { CONTRACT_LIMITS, storeContract } from './store-contract.js';

storeContract('embedded', async () => {
  const store = new EmbeddedStore(CONTRACT_LIMITS);
  return {
    store,
    compact: async (revision) => store.compact(revision),
    dispose: async () => store.close(),
  };
});
