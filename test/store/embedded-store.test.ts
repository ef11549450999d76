// The store contract against the embedded (in-process) store.
import { EmbeddedStore } from '../../control-plane/src/store/embedded-store.js';
import { storeContract } from './store-contract.js';

storeContract('embedded', async () => {
  const store = new EmbeddedStore();
  return {
    store,
    compact: async (revision) => store.compact(revision),
    dispose: async () => store.close(),
  };
});
