// The store most in-process suites start with: a MemoryStore holding one application with one key.
import { MemoryStore } from '../../src';

/** A MemoryStore holding `publicId` with the single key `privateKey`, installed in `companies`, granted nothing. */
export function memoryApp(publicId = 'app', privateKey = 'right', companies: readonly string[] = ['c1']): MemoryStore {
  const store = new MemoryStore();
  store.add({ publicId, keys: [{ privateKey }], companies });
  return store;
}
